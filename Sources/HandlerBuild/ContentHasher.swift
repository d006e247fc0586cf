import EdgeSystem

/// FNV-1a, 64 bits: enough to tell whether sources changed, with no dependency.
package struct ContentHasher {
    package private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    package init() {}

    package mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
        value ^= 0xff
        value &*= 0x0000_0100_0000_01b3
    }

    package mutating func combine(_ text: String) { combine(text.utf8) }

    /// A source file: its place in the project (a renamed file is a change) and its bytes.
    package mutating func combine(file: String, project: Project) {
        combine(project.displayPath(file))
        combine((try? FilePath.readBytes(file)) ?? [])
    }
}
