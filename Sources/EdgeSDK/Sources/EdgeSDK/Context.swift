/// What the host tells a handler about the call in progress.
public struct Context: Sendable {
    /// The endpoint's folder name under `handlers/`.
    public let endpointID: String
    /// The build number of the code now running; it grows by one with every successful build.
    public let version: Int
    /// The same id the request carries.
    public let requestID: String
    public let logSink: LogSink
    /// The endpoint's data that survives saves (see `StateStore`).
    public let state: StateStore
    /// The endpoint's configuration (`.env`, `.env.local`, `endpoint.json` defaults).
    public let env: Environment
    /// What `database(_:)`, `cache(_:)` and `storage(_:)` reach. The host supplies it.
    public let services: any ServiceProvider

    public init(
        endpointID: String, version: Int, requestID: String, logSink: LogSink = .discard,
        state: StateStore = StateStore(), env: Environment = Environment(),
        services: (any ServiceProvider)? = nil
    ) {
        self.endpointID = endpointID
        self.version = version
        self.requestID = requestID
        self.logSink = logSink
        self.state = state
        self.env = env
        self.services = services ?? NoServices()
    }

    /// Writes one line to the host's log, tagged with the endpoint, version and request id.
    ///
    /// It never goes through stdio: a handler that traps elsewhere cannot leave a lock behind
    /// that would hang this call.
    public func log(_ message: String, level: LogLevel = .info) {
        logSink.write(
            LogRecord(
                level: level, endpointID: endpointID, version: version, requestID: requestID,
                message: message))
    }
}

public enum LogLevel: String, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One line a handler logged, as the host receives it.
public struct LogRecord: Sendable {
    public var level: LogLevel
    public var endpointID: String
    public var version: Int
    public var requestID: String
    public var message: String
}

/// Where `Context.log` goes. The host supplies it; handlers never construct one.
public struct LogSink: Sendable {
    public let write: @Sendable (LogRecord) -> Void

    public init(_ write: @escaping @Sendable (LogRecord) -> Void) {
        self.write = write
    }

    public static let discard = LogSink { _ in }
}
