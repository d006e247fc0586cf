// Byte classes and comparisons of RFC 9110/9112, for the parser and the encoder.

/// A byte the request-target grammar allows (RFC 9112 §3.2 over RFC 3986): unreserved,
/// sub-delims, `:` `@` `/` `?`, `%` of an escape, and `[` `]` of an IPv6 authority. Raw bytes
/// outside it (controls, spaces, non-ASCII, `"` `<` `>` `\\` `^` `` ` `` `{` `|` `}` `#`) must be
/// percent-encoded.
@inline(__always)
func isTargetByte(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"),
        UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
        UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="),
        UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "%"),
        UInt8(ascii: "["), UInt8(ascii: "]"):
        return true
    default:
        return false
    }
}

/// `qdtext` and the escaped byte of a `quoted-pair` (RFC 9110 §5.6.4): HTAB, SP, visible ASCII
/// and obs-text; never CR, LF, NUL or DEL.
@inline(__always)
func isQuotedTextByte(_ c: UInt8) -> Bool {
    c == 0x09 || (c >= 0x20 && c != 0x7F)
}

/// RFC 9110 `tchar`.
@inline(__always)
func isTokenByte(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"),
        UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"),
        UInt8(ascii: "_"),
        UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default:
        return false
    }
}

@inline(__always)
func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    func trimmingCharacters() -> String {
        var slice = Substring(self)
        while let c = slice.first, c == " " || c == "\t" { slice = slice.dropFirst() }
        while let c = slice.last, c == " " || c == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}

extension String {
    func equalsASCIICaseInsensitive(_ lowercase: String) -> Bool {
        utf8.equalsASCIICaseInsensitive(lowercase.utf8)
    }
}

extension Collection<UInt8> {
    /// True when these bytes are `lowercase` (given in lower case) in any ASCII case.
    func equalsASCIICaseInsensitive(_ lowercase: some Collection<UInt8>) -> Bool {
        guard count == lowercase.count else { return false }
        return zip(self, lowercase).allSatisfy { a, b in
            a == b || (a >= 0x41 && a <= 0x5A && a | 0x20 == b)
        }
    }
}

/// Calls `body` with each element of a comma-separated field value (RFC 9110 §5.6.1), spaces
/// and tabs around it removed, empty elements skipped; no allocation.
func forEachListElement<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes, _ body: (Bytes.SubSequence) -> Void) {
    var rest = bytes[...]
    while !rest.isEmpty {
        let comma = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
        var element = rest[..<comma]
        while let c = element.first, c == 0x20 || c == 0x09 { element = element.dropFirst() }
        while let c = element.last, c == 0x20 || c == 0x09 { element = element.dropLast() }
        if !element.isEmpty { body(element) }
        rest = comma == rest.endIndex ? rest[comma...] : rest[rest.index(after: comma)...]
    }
}
