/// Where an endpoint is in its life, as the user sees it.
public enum EndpointState: String, Sendable, Codable {
    /// Known, not yet compiled.
    case created
    /// A library is built but not loaded.
    case compiled
    /// A version is serving.
    case loaded
    /// Removed or replaced, with requests still finishing on the old version.
    case draining
    /// Compiling or loading failed and no version is serving.
    case error
}

/// What `swapGraceful` did.
public struct SwapResult: Sendable, Equatable {
    /// The new version is serving.
    public var swapped: Bool
    /// Requests still running on the old version when the swap happened.
    public var oldRequestsPending: Int
    /// Whether the old version was left draining (false when there was none, or it was idle and
    /// retired at once).
    public var draining: Bool
    public var oldVersion: Int?
    public var newVersion: Int
}

/// A snapshot of the registry.
public struct RegistryStats: Sendable, Equatable, Codable {
    /// Endpoints with a serving version.
    public var loadedCount: Int
    /// Old versions not yet retired.
    public var drainingCount: Int
    /// Requests running on serving versions.
    public var activeRequests: Int
    /// Requests still running on draining versions.
    public var drainingRequests: Int

    public init(loadedCount: Int, drainingCount: Int, activeRequests: Int, drainingRequests: Int) {
        self.loadedCount = loadedCount
        self.drainingCount = drainingCount
        self.activeRequests = activeRequests
        self.drainingRequests = drainingRequests
    }
}

public enum RegistryError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No version of the endpoint is loaded.
    case notLoaded(String)
    /// The handler did not answer within the timeout (an HTTP 504).
    case timedOut(endpoint: String, milliseconds: Int)

    public var description: String {
        switch self {
        case .notLoaded(let id): "endpoint '\(id)' has no loaded handler"
        case .timedOut(let id, let ms): "endpoint '\(id)' did not answer within \(ms) ms"
        }
    }
}

/// Why a version stopped being referenced.
public enum RetireReason: String, Sendable {
    /// It had no request in flight when it was replaced, and was retired on the spot.
    case idle
    /// Its last in-flight request finished.
    case drained
    /// The drain timeout passed with requests still running.
    case timedOut
    /// Replaced by an immediate `swap`.
    case replaced
}
