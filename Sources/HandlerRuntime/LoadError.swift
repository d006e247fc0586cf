/// Why a handler library could not be loaded.
public enum LoadError: Error, Equatable, CustomStringConvertible, Sendable {
    case notBuilt(endpoint: String, buildDirectory: String)
    case openFailed(path: String, reason: String)
    case missingEntry(path: String)
    case abiMismatch(path: String, found: Int, expected: Int)

    public var description: String {
        switch self {
        case .notBuilt(let endpoint, let directory):
            "no built library for '\(endpoint)' under \(directory)"
        case .openFailed(let path, let reason):
            "dlopen \(path) failed: \(reason)"
        case .missingEntry(let path):
            "\(path) has no handler_entry symbol"
        case .abiMismatch(let path, let found, let expected):
            "\(path) was built for handler ABI \(found), this edge-dev speaks \(expected): rebuild it"
        }
    }
}
