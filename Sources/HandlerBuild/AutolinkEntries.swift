import EdgeSystem

/// The libraries a Swift object file asks to be linked with: the NUL-separated linker flags in
/// its `.swift1_autolink_entries` section (`-lswiftCore`, `-lFoundationEssentials`, ...).
///
/// `swift-autolink-extract` reads them in a process of its own, about 17 ms of a 120 ms hello
/// build here; reading one section of an ELF64 little-endian object takes microseconds.
enum AutolinkEntries {
    static let sectionName = ".swift1_autolink_entries"

    /// The entries of `object`, in order, each once (the first occurrence kept).
    static func read(_ object: String) throws -> [String] {
        let file = try ELFFile(object)
        var entries: [String] = []
        for section in file.sections where section.name == sectionName {
            for entry in file.contents(section).split(separator: 0) {
                let flag = String(decoding: entry, as: UTF8.self)
                if !entries.contains(flag) { entries.append(flag) }
            }
        }
        return entries
    }
}
