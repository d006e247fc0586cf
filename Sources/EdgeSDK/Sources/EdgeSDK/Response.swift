/// What a handler answers: a status, header fields and body bytes.
///
/// The server adds `Content-Length`, `Date` and `Server`; a handler sets only what is its own.
public struct Response: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int = 200, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid sequences replaced), for tests and logs.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Returns a copy with one more header field.
    public func withHeader(_ name: String, _ value: String) -> Response {
        var copy = self
        copy.headers.add(name, value)
        return copy
    }
}

// MARK: - Constructors

extension Response {
    public static func text(_ body: String, status: Int = 200) -> Response {
        Response(
            status: status, headers: ["Content-Type": "text/plain; charset=utf-8"],
            body: Array(body.utf8))
    }

    public static func html(_ body: String, status: Int = 200) -> Response {
        Response(
            status: status, headers: ["Content-Type": "text/html; charset=utf-8"],
            body: Array(body.utf8))
    }

    /// JSON from any `Encodable`. A value that cannot be encoded yields a 500 that says why,
    /// rather than a trap in the handler.
    public static func json(_ value: some Encodable, status: Int = 200) -> Response {
        do {
            return Response(
                status: status, headers: ["Content-Type": "application/json"],
                body: try JSONCoding.encode(value))
        } catch {
            let message = "response could not be encoded as JSON: \(error)"
            let fallback = #"{"error":"internal_error","message":"\#(message.jsonEscaped)","status":500}"#
            return Response(
                status: 500, headers: ["Content-Type": "application/json"],
                body: Array(fallback.utf8))
        }
    }

    /// Raw bytes with the given content type.
    public static func bytes(
        _ body: [UInt8], contentType: String = "application/octet-stream", status: Int = 200
    ) -> Response {
        Response(status: status, headers: ["Content-Type": contentType], body: body)
    }

    /// 200 with a JSON body.
    public static func ok(_ value: some Encodable) -> Response { json(value, status: 200) }

    /// 201 with a JSON body, and a `Location` when one is given.
    public static func created(_ value: some Encodable, location: String? = nil) -> Response {
        var response = json(value, status: 201)
        if let location { response.headers.set("Location", location) }
        return response
    }

    /// 202 with a JSON body.
    public static func accepted(_ value: some Encodable) -> Response { json(value, status: 202) }

    /// 204 with no body.
    public static var noContent: Response { Response(status: 204) }

    /// A redirect: 302 (temporary) or 308 (permanent, method kept), or any 3xx given.
    public static func redirect(to location: String, status: Int = 302) -> Response {
        Response(status: status, headers: ["Location": location])
    }

    /// The JSON error response for `error`.
    public static func error(_ error: HandlerError) -> Response { error.response }

    public static func badRequest(_ message: String) -> Response { .error(.badRequest(message)) }
    public static func unauthorized(_ message: String) -> Response { .error(.unauthorized(message)) }
    public static func forbidden(_ message: String) -> Response { .error(.forbidden(message)) }
    public static func notFound(_ message: String) -> Response { .error(.notFound(message)) }
    public static func conflict(_ message: String) -> Response { .error(.conflict(message)) }
    public static func internalError(_ message: String) -> Response { .error(.internal(message)) }
    public static func serviceUnavailable(_ message: String) -> Response {
        .error(.serviceUnavailable(message))
    }
}

extension String {
    /// The string as the inside of a JSON string literal.
    var jsonEscaped: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
