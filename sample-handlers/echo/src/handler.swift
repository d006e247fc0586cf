import EdgeSDK

/// Any method at /echo: describes the request it received, as JSON.
func handle(_ ctx: Context, _ req: Request) async throws -> Response {
    var query: [String: [String]] = [:]
    for item in req.queryItems { query[item.name, default: []].append(item.value) }
    var headers: [String: String] = [:]
    for field in req.headers {
        let name = field.name.lowercased()
        headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
    }
    return .json(Echo(method: req.method, path: req.path, query: query, headers: headers, body: req.text))
}

struct Echo: Encodable {
    var method: String
    var path: String
    var query: [String: [String]]
    var headers: [String: String]
    var body: String
}
