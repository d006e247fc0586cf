/// An HTTP request as a handler sees it.
///
/// The server fills every field before the handler runs: the body is complete (chunked uploads
/// are already reassembled) and binary-safe.
public struct Request: Sendable {
    /// The method in upper case, as sent (`GET`, `POST`, ...).
    public var method: String
    /// The path without the query, percent-decoded.
    public var path: String
    /// Query parameters in order; repeated names are kept.
    public var queryItems: [QueryItem]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Values of the route's `{name}` segments.
    public var pathParameters: [String: String]
    /// Unique per request; also sent back as `X-Request-Id`.
    public var requestID: String
    /// The peer's address as `host:port`, when known.
    public var clientAddress: String?

    public init(
        method: String = "GET", path: String = "/", queryItems: [QueryItem] = [],
        headers: HTTPHeaders = [:], body: [UInt8] = [], pathParameters: [String: String] = [:],
        requestID: String = "", clientAddress: String? = nil
    ) {
        self.method = method
        self.path = path
        self.queryItems = queryItems
        self.headers = headers
        self.body = body
        self.pathParameters = pathParameters
        self.requestID = requestID
        self.clientAddress = clientAddress
    }
}

/// One `name=value` pair of a query string.
public struct QueryItem: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

// MARK: - Reading parts of the request

extension Request {
    /// The first value of header `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? { headers.first(name) }

    /// The first value of query parameter `name`, or nil.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Every value of query parameter `name`, in order.
    public func queryValues(_ name: String) -> [String] {
        queryItems.filter { $0.name == name }.map(\.value)
    }

    /// The value of path parameter `name`, or nil.
    public func param(_ name: String) -> String? { pathParameters[name] }

    /// Path parameter `name` converted to `T`; a 400 when it is absent or does not convert.
    public func param<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws(HandlerError)
        -> T
    {
        try convert(param(name), to: type, what: "path parameter '\(name)'")
    }

    /// Query parameter `name` converted to `T`; a 400 when it is absent or does not convert.
    public func query<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws(HandlerError)
        -> T
    {
        try convert(query(name), to: type, what: "query parameter '\(name)'")
    }

    /// Header `name` converted to `T`; a 400 when it is absent or does not convert.
    public func header<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws(HandlerError)
        -> T
    {
        try convert(header(name), to: type, what: "header '\(name)'")
    }

    /// The body as UTF-8 text; invalid sequences become U+FFFD.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded as JSON into `T`. Throws `HandlerError.validation` naming what is wrong:
    /// an empty body, invalid JSON, a missing field or a field of the wrong type.
    public func json<T: Decodable>(_ type: T.Type = T.self) throws(HandlerError) -> T {
        guard !body.isEmpty else {
            throw .validation("request body is empty; expected JSON")
        }
        do {
            return try JSONCoding.decode(type, from: body)
        } catch {
            throw .validation(JSONCoding.explain(error))
        }
    }

    private func convert<T: LosslessStringConvertible>(_ raw: String?, to type: T.Type, what: String)
        throws(HandlerError) -> T
    {
        guard let raw else { throw .badRequest("missing \(what)") }
        guard let value = T(raw) else {
            throw .badRequest("\(what) must be \(typeName(T.self)), got '\(raw)'")
        }
        return value
    }

    private func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        default: "a \(type)"
        }
    }
}
