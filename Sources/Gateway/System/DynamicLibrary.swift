#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A shared library opened with `dlopen`.
///
/// There is deliberately no `close`: the Swift runtime keeps pointers into every loaded image's
/// metadata, so unmapping a Swift library crashes the process later (architecture.md, fact 1).
/// Handler libraries are also linked `-z nodelete`, so even a stray `dlclose` would not unmap.
struct DynamicLibrary: @unchecked Sendable {
    // `dlopen` handles are process-global and never closed; sharing one across threads is safe.
    private let handle: UnsafeMutableRawPointer
    let path: String

    /// Opens `path` with every symbol bound now, so a missing symbol fails here, not mid-request.
    init(path: String) throws(LoadError) {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw LoadError.openFailed(path: path, reason: Self.lastError())
        }
        self.handle = handle
        self.path = path
    }

    func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        dlsym(handle, name)
    }

    private static func lastError() -> String {
        guard let message = dlerror() else { return "unknown dlopen error" }
        return String(cString: message)
    }
}

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

/// The path of the loaded image that contains `address`, from `/proc/self/maps`.
///
/// (`dladdr` would do, but Glibc's module map hides it behind `_GNU_SOURCE`.)
func imagePath(containing address: UnsafeRawPointer) -> String? {
    imageLocation(containing: UInt64(UInt(bitPattern: address)))?.path
}

/// The loaded image that contains `address`, and the address's offset from the image's base
/// (its lowest mapping): the address its line tables know it by.
func imageLocation(containing address: UInt64) -> (path: String, offset: UInt64)? {
    guard let maps = try? FilePath.readText("/proc/self/maps") else { return nil }
    var bases: [String: UInt64] = [:]
    for line in maps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 6, let dash = fields[0].firstIndex(of: "-"),
            let low = UInt64(fields[0][..<dash], radix: 16),
            let high = UInt64(fields[0][fields[0].index(after: dash)...], radix: 16)
        else { continue }
        let path = fields[5...].joined(separator: " ")
        if bases[path] == nil { bases[path] = low }
        if low <= address && address < high { return (path, address - bases[path]!) }
    }
    return nil
}
