import EdgeSDK

/// A page-view counter on `ctx.cache("views")`, and a rate limit of 100 requests per minute per
/// client address: GET /views/{page} counts one view and answers the total.
func handle(_ ctx: Context, _ req: Request) throws -> Response {
    let cache = ctx.cache("views")
    let page = try req.param("page", as: String.self)

    // A fixed one-minute window per client: the key is created with its expiry, in one atomic
    // step, so concurrent requests all count.
    let client = req.headers["X-Forwarded-For"] ?? "local"
    let used = try cache.increment("rate:\(client)", ttl: .seconds(60))
    guard used <= 100 else {
        var response = Response.text("at most 100 requests a minute\n", status: 429)
        response.headers.set("Retry-After", "60")
        return response
    }

    let views = try cache.increment("page:\(page)")
    return .ok(PageViews(page: page, views: views))
}

struct PageViews: Encodable {
    var page: String
    var views: Int
}
