/// Debug builds (`-Onone`) by default, for edit-to-live speed; release builds use `-O`.
public enum BuildMode: String, Sendable {
    case debug, release
}

/// What one request to build an endpoint came to.
public struct BuildResult: Sendable {
    public enum Status: String, Sendable {
        /// A new version was built.
        case built
        /// The compiler or linker failed; `diagnostics` say why.
        case failed
        /// The sources are what was last built; nothing was done. `version` and `libraryPath`
        /// name the earlier build when it succeeded.
        case unchanged
        /// A newer request for the same endpoint cancelled this one.
        case superseded
    }

    public let endpointID: String
    public let status: Status
    /// The build number; versions grow by one with each successful build.
    public let version: Int?
    public let libraryPath: String?
    /// Wall-clock time of the build, in milliseconds.
    public let durationMilliseconds: Double
    public let diagnostics: [Diagnostic]
    /// The compiler's and linker's output as printed.
    public let rawOutput: String
    /// Content hash of the sources (and build settings) that were built.
    public let sourceHash: UInt64

    /// True when a usable library exists for these sources.
    public var succeeded: Bool { libraryPath != nil && (status == .built || status == .unchanged) }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
}
