import EdgeSDK

/// Configuration from `ctx.env`: `endpoint.json` gives the defaults; put `GREETING=Bonjour` in a
/// `.env` beside `handlers/` (kept out of git) and the next request says it, with no rebuild.
/// `?strict=1` reads a key that has no default: without `SIGNING_KEY` set, a 500 that says where
/// to set it.
func handle(_ ctx: Context, _ req: Request) throws -> Response {
    let greeting = ctx.env["GREETING"] ?? "Hello"
    let audience = ctx.env["AUDIENCE"] ?? "world"
    if req.query("strict") != nil {
        let key = try ctx.env.require("SIGNING_KEY")
        return .ok(["greeting": "\(greeting), \(audience)!", "signingKeyLength": "\(key.count)"])
    }
    return .ok(["greeting": "\(greeting), \(audience)!"])
}
