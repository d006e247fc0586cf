import Glibc

/// The path of the loaded image that contains `address`, from `/proc/self/maps`.
///
/// (`dladdr` would do, but Glibc's module map hides it behind `_GNU_SOURCE`.)
package func imagePath(containing address: UnsafeRawPointer) -> String? {
    imageLocation(containing: UInt64(UInt(bitPattern: address)))?.path
}

/// The loaded image that contains `address`, and the address's offset from the image's base
/// (its lowest mapping): the address its line tables know it by.
package func imageLocation(containing address: UInt64) -> (path: String, offset: UInt64)? {
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
