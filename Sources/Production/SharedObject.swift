import EdgeSystem

/// The libraries an ELF shared object or executable needs (`DT_NEEDED`), read from its dynamic
/// section: what a bundle must carry besides the system's own libraries.
enum SharedObject {
    static func needed(_ path: String) throws(BundleError) -> [String] {
        let bytes: [UInt8]
        do {
            bytes = try FilePath.readBytes(path)
        } catch {
            throw BundleError("cannot read \(path): \(error)")
        }
        func integer(_ at: Int, _ size: Int) throws(BundleError) -> Int {
            guard at >= 0, at + size <= bytes.count else { throw BundleError("\(path): truncated ELF file") }
            var value = 0
            for index in (0..<size).reversed() { value = value << 8 | Int(bytes[at + index]) }
            return value
        }
        guard bytes.count > 64, bytes[0..<4].elementsEqual([0x7F, 0x45, 0x4C, 0x46]), bytes[4] == 2, bytes[5] == 1
        else { throw BundleError("\(path): not a 64-bit little-endian ELF file") }
        let sectionOffset = try integer(0x28, 8)
        let sectionSize = try integer(0x3A, 2)
        let sectionCount = try integer(0x3C, 2)
        func section(_ index: Int) throws(BundleError) -> (type: Int, offset: Int, size: Int, link: Int) {
            let base = sectionOffset + index * sectionSize
            return (
                try integer(base + 4, 4), try integer(base + 24, 8), try integer(base + 32, 8),
                try integer(base + 40, 4)
            )
        }
        for index in 0..<sectionCount {
            let dynamic = try section(index)
            guard dynamic.type == 6 else { continue }  // SHT_DYNAMIC
            let strings = try section(dynamic.link)
            var names: [String] = []
            var at = dynamic.offset
            while at + 16 <= dynamic.offset + dynamic.size {
                let tag = try integer(at, 8)
                if tag == 0 { break }  // DT_NULL
                if tag == 1 {  // DT_NEEDED
                    let start = strings.offset + (try integer(at + 8, 8))
                    guard start < bytes.count, let end = bytes[start...].firstIndex(of: 0) else {
                        throw BundleError("\(path): bad DT_NEEDED entry")
                    }
                    names.append(String(decoding: bytes[start..<end], as: UTF8.self))
                }
                at += 16
            }
            return names
        }
        return []
    }
}
