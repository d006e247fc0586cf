import EdgeSDK

/// A request as the server hands it to a responder: the handler-facing `Request` plus what only
/// the server knows.
public struct IncomingRequest: Sendable {
    public var request: Request
    /// The method as sent (`HEAD` is routed as `GET`, and `request.method` says `GET`).
    public var wireMethod: String
    public var isLoopback: Bool
    /// The request target as sent (`/todos?done=1`).
    public var target: String

    public init(request: Request, wireMethod: String, isLoopback: Bool, target: String? = nil) {
        self.request = request
        self.wireMethod = wireMethod
        self.isLoopback = isLoopback
        self.target = target ?? request.path
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
    case later(Deferred)
    /// A response whose body keeps coming (Server-Sent Events): the head and `response.body` go at
    /// once, then whatever `start`'s writer is given, until either side closes.
    case stream(Response, tag: String?, start: @Sendable (StreamWriter) -> Void)

    /// Work whose answer comes later, from handler code that may trap or never return.
    public struct Deferred: Sendable {
        public typealias Work = nonisolated(nonsending) @Sendable () async -> Response

        public var tag: String?
        /// After this the request is answered with `failure(.timedOut)`; nil waits for ever.
        public var timeout: Duration?
        /// `nonisolated(nonsending)`, as are the host's async functions between here and the
        /// handler: they run on the request's task where they are called, instead of each
        /// hopping to the generic executor first (eight hops per request, each reading the
        /// task's executor preference under its status lock: about 4% of the server's time).
        public var work: Work
        /// The answer when `work` trapped or timed out. Called once, on the loop thread, and
        /// never together with a response from `work`: it must release what `work` would have.
        public var failure: @Sendable (HandlerFailure) -> Response
        /// Told once, on the loop thread, what the request was answered with: the response sent,
        /// the failure when `work` trapped or timed out (a late answer from `work` after a 504
        /// is not told), and when the server read the request (monotonic nanoseconds). Where
        /// journals and metrics record it.
        public var finished: (@Sendable (Response, HandlerFailure?, _ started: UInt64) -> Void)?

        public init(
            tag: String?, timeout: Duration?, work: @escaping Work,
            failure: @escaping @Sendable (HandlerFailure) -> Response,
            finished: (@Sendable (Response, HandlerFailure?, _ started: UInt64) -> Void)? = nil
        ) {
            self.tag = tag
            self.timeout = timeout
            self.work = work
            self.failure = failure
            self.finished = finished
        }
    }
}

/// What answers requests once the server has parsed them.
public protocol HTTPResponder: Sendable {
    /// `consuming`: the server hands the request over, so a responder that keeps it (in the
    /// task that answers it) moves it instead of retaining each of its strings and arrays.
    func reply(to request: consuming IncomingRequest) -> Reply
}
