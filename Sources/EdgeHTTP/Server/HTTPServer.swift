import EdgeSDK
import EdgeSystem
import Glibc
import Synchronization

/// The HTTP/1.1 server: one listening socket shared by one event loop per core.
public final class HTTPServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        /// 0 picks a free port.
        public var port = 8080
        public var limits = HTTPLimits()
        /// Event loops (threads); defaults to the cores this process may run on.
        public var loops = availableCores()
        /// One line per request on standard output.
        public var accessLog = true
        public var accessLogFormat = AccessLogFormat.text
        /// `SO_REUSEPORT`: several processes listen on one port, the kernel spreads connections.
        public var reusePort = false
        /// At most this many connections open, below what the open-files limit allows (a second
        /// listener in the process, such as the ops one, must not budget the same descriptors).
        public var maxConnections: Int?
        /// Runs handler code under the crash barrier: a trap costs its request a 500, not the
        /// process. Off only to measure what the barrier costs.
        public var crashBarrier = true
        /// A handler that keeps its loop's thread this long without yielding (a busy loop, a
        /// blocking call) is left to that thread; the loop's other connections move to a new one.
        public var stallThreshold: Duration = .milliseconds(500)

        public init() {}
    }

    public let configuration: Configuration
    let responder: any HTTPResponder
    let listener: Socket
    private var loops: [EventLoop] = []
    public let port: Int
    /// What every connection's large request bodies hold, together.
    let bodyBudget: BodyBudget
    /// How many connections all loops together keep open.
    let connectionLimit: ConnectionLimit
    /// One "cannot accept" line per interval for all loops.
    let acceptLogGate = LogGate()

    /// Binds and listens at once (so the port is known and connections queue), serving starts
    /// with `start()`.
    ///
    /// `listener`, when given, is a socket already listening (the supervisor's, kept across
    /// restarts of this process); host and port are then only what it was opened with.
    public init(configuration: Configuration, responder: any HTTPResponder, listener: Socket? = nil)
        throws(SystemError)
    {
        self.configuration = configuration
        self.responder = responder
        self.bodyBudget = BodyBudget(capacity: configuration.limits.maxBufferedBodyBytes)
        connectionLimit = ConnectionLimit(
            openFileLimit: raiseOpenFileLimit(), inUse: openDescriptorCount(), cap: configuration.maxConnections)
        if let listener {
            try listener.setNonBlocking()
            self.listener = listener
        } else {
            self.listener = try Socket.listen(
                host: configuration.host, port: configuration.port, reusePort: configuration.reusePort)
        }
        port = self.listener.localPort
    }

    /// Starts the event loop threads.
    public func start() throws(SystemError) {
        for index in 0..<max(1, configuration.loops) {
            let loop = try EventLoop(index: index, server: self)
            loops.append(loop)
            try loop.start()
        }
    }

    /// Connections now open.
    public var openConnections: Int { loops.reduce(0) { $0 + $1.openConnections } }

    /// Stops accepting, closes idle connections, and waits up to `grace` for requests in flight
    /// to be answered. Returns true if everything finished in time.
    public func stop(grace: Duration) async -> Bool {
        for loop in loops { loop.requestStop() }
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if loops.allSatisfy(\.isStopped) { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        listener.close()
        return loops.allSatisfy(\.isStopped)
    }
}

/// How the access log reads: `GET /hello 200 0.31 ms hello v1`, or one JSON object per line.
public enum AccessLogFormat: String, Sendable, CaseIterable {
    case text, json
}
