import EdgeSystem

/// The libraries a Swift object file asks to be linked with: the NUL-separated linker flags in
/// its `.swift1_autolink_entries` section (`-lswiftCore`, `-lFoundationEssentials`, ...).
///
/// `swift-autolink-extract` reads them in a process of its own, about 17 ms of a 120 ms hello
/// build here; reading one section of an ELF64 little-endian object takes microseconds.
enum AutolinkEntries {
    static let sectionName = ".swift1_autolink_entries"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The entries of `object`, in order, each once (the first occurrence kept).
    static func read(_ object: String) throws -> [String] {
        let bytes = try FilePath.readBytes(object)
        func u16(_ at: Int) throws -> Int {
            guard at >= 0, at + 2 <= bytes.count else { throw Failure(description: "\(object): truncated ELF header") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8
        }
        func u32(_ at: Int) throws -> Int {
            let low = try u16(at)
            let high = try u16(at + 2)
            return low | high << 16
        }
        func u64(_ at: Int) throws -> Int {
            let low = try u32(at)
            let high = try u32(at + 4)
            return low | high << 32
        }
        guard bytes.count >= 64, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw Failure(description: "\(object) is not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else {
            throw Failure(description: "\(object) is not a 64-bit little-endian ELF object")
        }
        let sectionTable = try u64(0x28)
        let entrySize = try u16(0x3A)
        let count = try u16(0x3C)
        let namesIndex = try u16(0x3E)
        func section(_ index: Int) throws -> (name: Int, offset: Int, size: Int) {
            let at = sectionTable + index * entrySize
            return (try u32(at), try u64(at + 0x18), try u64(at + 0x20))
        }
        let names = try section(namesIndex)
        func name(_ offset: Int) -> String {
            let start = names.offset + offset
            guard start >= 0, start < bytes.count else { return "" }
            let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        var entries: [String] = []
        for index in 0..<count {
            let header = try section(index)
            guard name(header.name) == sectionName else { continue }
            guard header.offset >= 0, header.size >= 0, header.offset + header.size <= bytes.count else {
                throw Failure(description: "\(object): \(sectionName) lies outside the file")
            }
            for entry in bytes[header.offset..<header.offset + header.size].split(separator: 0) {
                let flag = String(decoding: entry, as: UTF8.self)
                if !entries.contains(flag) { entries.append(flag) }
            }
        }
        return entries
    }
}
