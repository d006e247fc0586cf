import EdgeSDK

/// GET /hello: a short greeting.
func handle(_ ctx: Context, _ req: Request) async throws -> Response {
    .text("Hello from edge-dev!\n")
}
