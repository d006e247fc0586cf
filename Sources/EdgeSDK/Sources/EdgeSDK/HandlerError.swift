/// An error a handler throws to answer with a specific HTTP status.
///
/// A thrown `HandlerError` becomes its `response`; any other thrown error becomes a 500 that
/// carries the error's description (see `HandlerEntry`).
public enum HandlerError: Error, Sendable, Equatable {
    /// 400: the request is malformed.
    case badRequest(String)
    /// 400: the request is well-formed but its content is not acceptable.
    case validation(String)
    /// 401
    case unauthorized(String)
    /// 403
    case forbidden(String)
    /// 404
    case notFound(String)
    /// 405
    case methodNotAllowed(String)
    /// 409
    case conflict(String)
    /// 413
    case payloadTooLarge(String)
    /// 500
    case `internal`(String)
    /// 503
    case serviceUnavailable(String)

    public var status: Int {
        switch self {
        case .badRequest, .validation: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .payloadTooLarge: 413
        case .internal: 500
        case .serviceUnavailable: 503
        }
    }

    /// A stable machine-readable name for the error, sent as `"error"` in the JSON body.
    public var code: String {
        switch self {
        case .badRequest: "bad_request"
        case .validation: "validation_error"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .conflict: "conflict"
        case .payloadTooLarge: "payload_too_large"
        case .internal: "internal_error"
        case .serviceUnavailable: "service_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .validation(let m), .unauthorized(let m), .forbidden(let m),
            .notFound(let m), .methodNotAllowed(let m), .conflict(let m), .payloadTooLarge(let m),
            .internal(let m), .serviceUnavailable(let m):
            m
        }
    }

    /// `{"error": code, "message": message, "status": status}` with this error's status.
    public var response: Response {
        Response.json(ErrorBody(error: code, message: message, status: status), status: status)
    }
}

extension HandlerError: CustomStringConvertible {
    public var description: String { "\(status) \(code): \(message)" }
}

/// The JSON shape of every error response edge-dev and its handlers send.
public struct ErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public var message: String
    public var status: Int

    public init(error: String, message: String, status: Int) {
        self.error = error
        self.message = message
        self.status = status
    }
}
