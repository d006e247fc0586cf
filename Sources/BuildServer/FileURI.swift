/// `file://` URIs as the Language Server and Build Server protocols carry them, and back.
///
/// Paths are absolute; everything but unreserved characters and `/` is percent-encoded, the way
/// sourcekit-lsp writes them (a space is `%20`), and any percent-encoding is decoded on the way in.
public enum FileURI {
    /// `file:///a/b%20c.swift` for `/a/b c.swift`; `directory` adds the trailing `/` that a
    /// directory source item carries.
    public static func from(path: String, directory: Bool = false) -> String {
        var out = "file://"
        for byte in path.utf8 {
            if isUnreserved(byte) || byte == UInt8(ascii: "/") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + hex(byte >> 4) + hex(byte & 0xF)
            }
        }
        if directory && !out.hasSuffix("/") { out += "/" }
        return out
    }

    /// The path of a `file://` URI (`file:///x` or `file://localhost/x`), or nil for another scheme.
    public static func path(_ uri: String) -> String? {
        guard uri.hasPrefix("file://") else { return nil }
        var rest = Substring(uri.dropFirst("file://".count))
        if rest.hasPrefix("localhost/") { rest = rest.dropFirst("localhost".count) }
        guard rest.hasPrefix("/") else { return nil }
        var bytes: [UInt8] = []
        var iterator = Array(rest.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let high = value(iterator[iterator.startIndex]), let low = value(iterator[iterator.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        var path = String(decoding: bytes, as: UTF8.self)
        if path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "~")
    }

    private static func hex(_ nibble: UInt8) -> String {
        String(nibble, radix: 16, uppercase: true)
    }

    private static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
