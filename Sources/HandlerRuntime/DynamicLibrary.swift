import Glibc

/// A shared library opened with `dlopen`.
///
/// There is deliberately no `close`: the Swift runtime keeps pointers into every loaded image's
/// metadata, so unmapping a Swift library crashes the process later (docs/architecture.md, fact 1).
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
