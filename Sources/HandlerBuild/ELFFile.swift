import EdgeSystem

/// The sections of an ELF64 little-endian file (an object, a shared library, an executable), read
/// in-process: what the build needs of them (an object's autolink entries, a library's needed
/// libraries) without a tool's process.
package struct ELFFile {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package struct Section {
        package let name: String
        package let type: Int
        package let offset: Int
        package let size: Int
        /// The section this one refers to (for a dynamic section, its string table).
        package let link: Int
    }

    package let path: String
    package let bytes: [UInt8]
    package let sections: [Section]

    package init(_ path: String) throws(Failure) {
        self.path = path
        do {
            bytes = try FilePath.readBytes(path)
        } catch {
            throw Failure(description: "cannot read \(path): \(error)")
        }
        guard bytes.count >= 64, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw Failure(description: "\(path) is not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else {
            throw Failure(description: "\(path) is not a 64-bit little-endian ELF file")
        }
        let bytes = bytes
        func integer(_ at: Int, _ size: Int) throws(Failure) -> Int {
            guard at >= 0, at + size <= bytes.count else { throw Failure(description: "\(path): truncated ELF file") }
            return Self.littleEndian(bytes, at: at, size: size)
        }
        let table = try integer(0x28, 8)
        let entrySize = try integer(0x3A, 2)
        let count = try integer(0x3C, 2)
        let namesIndex = try integer(0x3E, 2)
        var raw: [(name: Int, type: Int, offset: Int, size: Int, link: Int)] = []
        for index in 0..<count {
            let at = table + index * entrySize
            let offset = try integer(at + 0x18, 8)
            let size = try integer(at + 0x20, 8)
            let type = try integer(at + 4, 4)
            // SHT_NOBITS (.bss) takes no room in the file.
            guard type == 8 || offset + size <= bytes.count else {
                throw Failure(description: "\(path): a section lies outside the file")
            }
            raw.append((try integer(at, 4), type, offset, size, try integer(at + 0x28, 4)))
        }
        let names = raw.indices.contains(namesIndex) ? raw[namesIndex].offset : -1
        sections = raw.map {
            Section(
                name: names < 0 ? "" : Self.cString(bytes, at: names + $0.name), type: $0.type, offset: $0.offset,
                size: $0.size, link: $0.link)
        }
    }

    /// The bytes of `section`.
    package func contents(_ section: Section) -> ArraySlice<UInt8> {
        bytes[section.offset..<section.offset + section.size]
    }

    /// The NUL-terminated string at `offset` of string table number `table`.
    package func string(inTable table: Int, at offset: Int) -> String {
        guard sections.indices.contains(table) else { return "" }
        return Self.cString(bytes, at: sections[table].offset + offset)
    }

    /// The `size`-byte little-endian integer at `at` (in bounds: the caller checked).
    private static func littleEndian(_ bytes: [UInt8], at: Int, size: Int) -> Int {
        var value = 0
        for index in (0..<size).reversed() { value = value << 8 | Int(bytes[at + index]) }
        return value
    }

    private static func cString(_ bytes: [UInt8], at start: Int) -> String {
        guard start >= 0, start < bytes.count else { return "" }
        let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The libraries it needs (`DT_NEEDED` of its dynamic section), in order.
    package func neededLibraries() -> [String] {
        guard let dynamic = sections.first(where: { $0.type == 6 }) else { return [] }  // SHT_DYNAMIC
        var names: [String] = []
        var at = dynamic.offset
        while at + 16 <= dynamic.offset + dynamic.size {
            let tag = Self.littleEndian(bytes, at: at, size: 8)
            let value = Self.littleEndian(bytes, at: at + 8, size: 8)
            if tag == 0 { break }  // DT_NULL
            if tag == 1 { names.append(string(inTable: dynamic.link, at: value)) }  // DT_NEEDED
            at += 16
        }
        return names
    }
}
