import HandlerBuild

/// The libraries an ELF shared object or executable needs (`DT_NEEDED`): what a bundle must carry
/// besides the system's own libraries.
enum SharedObject {
    static func needed(_ path: String) throws(BundleError) -> [String] {
        do {
            return try ELFFile(path).neededLibraries()
        } catch {
            throw BundleError(error.description)
        }
    }
}
