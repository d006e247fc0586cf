import EdgeSDK

/// A request as the server hands it to a responder: the handler-facing `Request` plus what only
/// the server knows.
public struct IncomingRequest: Sendable {
    public var request: Request
    /// The method as sent (`HEAD` is routed as `GET`, and `request.method` says `GET`).
    public var wireMethod: String
    public var isLoopback: Bool

    public init(request: Request, wireMethod: String, isLoopback: Bool) {
        self.request = request
        self.wireMethod = wireMethod
        self.isLoopback = isLoopback
    }

    /// True when the client prefers HTML (a browser), for error pages.
    public var wantsHTML: Bool {
        request.header("Accept")?.contains("text/html") ?? false
    }
}

/// How a responder answers: at once, or by work that runs as a task on the connection's loop.
public enum Reply: Sendable {
    /// `tag` goes in the access log (for example `hello v3`).
    case now(Response, tag: String?)
    case later(tag: String?, @Sendable () async -> Response)
}

/// What answers requests once the server has parsed them.
public protocol HTTPResponder: Sendable {
    func reply(to request: IncomingRequest) -> Reply
}
