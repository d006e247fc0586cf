import EdgeSDK

/// GET /slow?ms=N: waits N milliseconds (default 1000, at most 60000), then answers.
/// Handy for watching a swap drain: start a slow request, save a file, see it finish on the old
/// version while new requests already get the new one.
func handle(_ ctx: Context, _ req: Request) async throws -> Response {
    let ms = req.query("ms") == nil ? 1000 : try req.query("ms", as: Int.self)
    guard (0...60_000).contains(ms) else {
        throw HandlerError.badRequest("query parameter 'ms' must be between 0 and 60000")
    }
    try await Task.sleep(for: .milliseconds(ms))
    return .json(Slept(sleptMilliseconds: ms, version: ctx.version))
}

struct Slept: Encodable {
    var sleptMilliseconds: Int
    var version: Int
}
