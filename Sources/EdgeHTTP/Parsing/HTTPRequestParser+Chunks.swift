/// Chunked framing: the size line and its extensions.
extension HTTPRequestParser {
    /// `chunk-size [ chunk-ext ] CRLF` (RFC 9112 §7.1.1), CRLF removed: the size is 1*HEXDIG
    /// at the start of the line; extensions are `*( BWS ";" BWS name [ BWS "=" BWS value ] )`,
    /// names tokens, values tokens or quoted strings. They are checked and ignored.
    func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPError) -> Int {
        if line.contains(0x0D) || line.contains(0x0A) { throw HTTPError(400, "bare CR or LF in chunk size line") }
        var index = line.startIndex
        var size = 0
        while index < line.endIndex, let value = hexValue(line[index]) {
            guard index - line.startIndex < 15 else { throw HTTPError(400, "invalid chunk size") }
            size = size << 4 | Int(value)
            index += 1
        }
        guard index > line.startIndex else { throw HTTPError(400, "invalid chunk size") }
        try checkChunkExtensions(line[index...])
        return size
    }

    func checkChunkExtensions(_ rest: ArraySlice<UInt8>) throws(HTTPError) {
        var index = rest.startIndex
        func skipWhitespace() {
            while index < rest.endIndex, rest[index] == 0x20 || rest[index] == 0x09 { index += 1 }
        }
        func token() -> Bool {
            let start = index
            while index < rest.endIndex, isTokenByte(rest[index]) { index += 1 }
            return index > start
        }
        while index < rest.endIndex {
            // BWS is allowed only before a ';' (so `a ` with nothing after is refused).
            skipWhitespace()
            guard index < rest.endIndex, rest[index] == UInt8(ascii: ";") else {
                throw HTTPError(400, "invalid chunk size")
            }
            index += 1
            skipWhitespace()
            guard token() else { throw HTTPError(400, "chunk extension without a name") }
            let afterName = index
            skipWhitespace()
            guard index < rest.endIndex, rest[index] == UInt8(ascii: "=") else {
                index = afterName
                continue
            }
            index += 1
            skipWhitespace()
            if index < rest.endIndex, rest[index] == UInt8(ascii: "\"") {
                index += 1
                var closed = false
                while index < rest.endIndex {
                    let c = rest[index]
                    index += 1
                    if c == UInt8(ascii: "\"") {
                        closed = true
                        break
                    }
                    if c == UInt8(ascii: "\\") {
                        guard index < rest.endIndex, isQuotedTextByte(rest[index]) else { break }
                        index += 1
                    } else if !isQuotedTextByte(c) {
                        throw HTTPError(400, "invalid character in chunk extension value")
                    }
                }
                guard closed else { throw HTTPError(400, "unterminated quoted chunk extension value") }
            } else if !token() {
                throw HTTPError(400, "chunk extension without a value after '='")
            }
        }
    }
}
