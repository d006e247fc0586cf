import EdgeSDK

/// A request's head: the request line and header fields, validated.
package struct HTTPRequestHead {
    package enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    package var method: String
    package var target: String
    /// Percent-decoded path without the query.
    package var path: String
    package var queryItems: [QueryItem]
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    package var minorVersion: Int
    package var headers: HTTPHeaders
    package var keepAlive: Bool
    package var expectsContinue: Bool
    package var framing: Framing
}

/// An incremental HTTP/1.x request parser over a connection's receive buffer.
///
/// Strict where RFC 9112 says a server must be: conflicting framing, malformed lengths and chunk
/// sizes, invalid field names, bare CR and obs-fold are all errors (400), so a request can never
/// be read two ways by two parties (request smuggling).
package struct HTTPRequestParser {
    package enum Event {
        /// Not enough bytes yet.
        case needMore
        /// The head is in and the client waits for `100 Continue` before sending the body.
        case continueExpected
        case request(HTTPRequestHead, body: [UInt8])
    }

    private enum State {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int)
    }

    package let limits: HTTPLimits
    private var state = State.head
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var scanned = 0
    private var continueAnnounced = false
    /// Empty lines seen before the current request line (RFC 9112 §2.2: ignore a few).
    private var leadingEmptyLines = 0
    /// Trailer fields of the current chunked body, counted against the header-count limit.
    private var trailerFields = 0

    /// How many empty lines before a request line are ignored: old clients send one CRLF after
    /// a POST body; more than a few is not a client being sloppy.
    package static let maxLeadingEmptyLines = 8
    /// A chunk-size line, extensions included (RFC 9112 §7.1.1 sets no limit; a sane one).
    package static let maxChunkLineBytes = 1024

    package init(limits: HTTPLimits) { self.limits = limits }

    /// The body bytes the request being read will hold once complete, as far as known now: the
    /// declared length of a fixed body, what has arrived of a chunked one (plus its current
    /// chunk). Zero between requests.
    package var bodyBytesExpected: Int {
        switch state {
        case .head: 0
        case .fixedBody(let remaining), .chunkData(let remaining): body.count + remaining
        case .chunkSize, .chunkDataEnd, .trailers: body.count
        }
    }

    /// True between requests: no byte of the next request has been consumed.
    package var isIdle: Bool {
        if case .head = state { return true }
        return false
    }

    /// Parses from `buffer[start...]`, advancing `start` past what it consumed.
    package mutating func next(_ buffer: [UInt8], start: inout Int) throws(HTTPError) -> Event {
        while true {
            switch state {
            case .head:
                while scanned == 0, buffer.count - start >= 1, buffer[start] == 0x0D {
                    guard buffer.count - start >= 2 else { return .needMore }
                    guard buffer[start + 1] == 0x0A else { break }
                    leadingEmptyLines += 1
                    guard leadingEmptyLines <= Self.maxLeadingEmptyLines else {
                        throw HTTPError(
                            400, "more than \(Self.maxLeadingEmptyLines) empty lines before the request line")
                    }
                    start += 2
                }
                guard let end = findHeadEnd(buffer, from: start) else {
                    // Up to three bytes may be the start of the final CRLFCRLF, which does not
                    // count: the verdict must not depend on where a read ends.
                    try checkHeadSize(buffer, start: start, end: max(start, buffer.count - 3))
                    return .needMore
                }
                try checkHeadSize(buffer, start: start, end: end)
                let parsed = try parseHead(buffer[start..<end])
                start = end + 4
                scanned = 0
                leadingEmptyLines = 0
                trailerFields = 0
                continueAnnounced = false
                switch parsed.framing {
                case .none, .length(0):
                    // Most requests: answered from here, the head never stored in the parser.
                    return .request(parsed, body: [])
                case .length(let count):
                    head = parsed
                    body = []
                    body.reserveCapacity(count)
                    state = .fixedBody(remaining: count)
                case .chunked:
                    head = parsed
                    body = []
                    state = .chunkSize
                }
            case .fixedBody(let remaining):
                let available = min(remaining, buffer.count - start)
                if available > 0 {
                    body.append(contentsOf: buffer[start..<start + available])
                    start += available
                }
                if remaining - available == 0 { return finish() }
                state = .fixedBody(remaining: remaining - available)
                return needMore()
            case .chunkSize:
                guard let lineEnd = findCRLF(buffer, from: start) else {
                    if buffer.count - start > Self.maxChunkLineBytes {
                        throw HTTPError(400, "chunk size line too long")
                    }
                    return needMore()
                }
                guard lineEnd - start <= Self.maxChunkLineBytes else {
                    throw HTTPError(400, "chunk size line too long")
                }
                let size = try parseChunkSize(buffer[start..<lineEnd])
                start = lineEnd + 2
                if size == 0 {
                    state = .trailers(bytes: 0)
                } else {
                    guard body.count + size <= limits.maxBodyBytes else {
                        throw HTTPError(413, "request body exceeds \(limits.maxBodyBytes) bytes")
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let available = min(remaining, buffer.count - start)
                if available > 0 {
                    body.append(contentsOf: buffer[start..<start + available])
                    start += available
                }
                if remaining - available > 0 {
                    state = .chunkData(remaining: remaining - available)
                    return .needMore
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard buffer.count - start >= 2 else { return .needMore }
                guard buffer[start] == 0x0D && buffer[start + 1] == 0x0A else {
                    throw HTTPError(400, "chunk data not followed by CRLF")
                }
                start += 2
                state = .chunkSize
            case .trailers(let bytes):
                // Trailer fields follow the rules of header fields exactly (RFC 9112 §7.1.2,
                // RFC 9110 §5.5): a line two parsers could split differently is how request
                // smuggling starts when one server sits in front of another.
                guard let lineEnd = findCRLF(buffer, from: start) else {
                    if bytes + buffer.count - start > limits.maxHeadBytes {
                        throw HTTPError(431, "trailer section too large")
                    }
                    return .needMore
                }
                let line = buffer[start..<lineEnd]
                guard bytes + line.count + 2 <= limits.maxHeadBytes else {
                    throw HTTPError(431, "trailer section too large")
                }
                start = lineEnd + 2
                if line.isEmpty { return finish() }
                // The head is checked for bare CR and LF as a whole before its fields are read.
                if line.contains(0x0A) || line.contains(0x0D) { throw HTTPError(400, "bare CR or LF in trailer field") }
                _ = try parseFieldLine(line, section: "trailer")
                trailerFields += 1
                if trailerFields > limits.maxHeaderCount {
                    throw HTTPError(431, "more than \(limits.maxHeaderCount) trailer fields")
                }
                state = .trailers(bytes: bytes + line.count + 2)
            }
        }
    }

    private mutating func needMore() -> Event {
        if let head, head.expectsContinue, !continueAnnounced {
            continueAnnounced = true
            return .continueExpected
        }
        return .needMore
    }

    private mutating func finish() -> Event {
        state = .head
        // Moved out, not copied: a copy would retain every string and array of the head.
        let request = head.take()!
        let complete = body
        body = []
        return .request(request, body: complete)
    }

    // MARK: - Head

    private mutating func findHeadEnd(_ buffer: [UInt8], from start: Int) -> Int? {
        let from = max(start, start + scanned - 3)
        let end = buffer.count
        guard end - from >= 4 else {
            scanned = end - start
            return nil
        }
        let found: Int? = buffer.withUnsafeBufferPointer { bytes in
            var index = from
            while index + 3 < end {
                if bytes[index + 3] != 0x0A {
                    // The byte at +3 must be LF for a match at `index`; skip ahead past non-LFs.
                    index += bytes[index + 3] == 0x0D ? 1 : 4
                    continue
                }
                if bytes[index] == 0x0D && bytes[index + 1] == 0x0A && bytes[index + 2] == 0x0D {
                    return index
                }
                index += 1
            }
            return nil
        }
        if found == nil { scanned = end - start }
        return found
    }

    /// The head so far (`start..<end`) must fit the limit: 414 when even the request line does
    /// not, 431 otherwise.
    private func checkHeadSize(_ buffer: [UInt8], start: Int, end: Int) throws(HTTPError) {
        guard end - start > limits.maxHeadBytes else { return }
        let firstLineEnds = findCRLF(buffer, from: start).map { $0 - start <= limits.maxHeadBytes } ?? false
        throw firstLineEnds
            ? HTTPError(431, "request header fields exceed \(limits.maxHeadBytes) bytes")
            : HTTPError(414, "request line exceeds \(limits.maxHeadBytes) bytes")
    }

    private func findCRLF(_ buffer: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < buffer.count {
            if buffer[index] == 0x0D && buffer[index + 1] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    private func parseHead(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> HTTPRequestHead {
        // Every line ends in CRLF: a CR or LF anywhere else is an error (RFC 9112 §2.2). Checked
        // over the whole head first (on the raw bytes: no bounds check per byte), so the lines
        // below split at every CR.
        let bare: UInt8? = bytes.withUnsafeBufferPointer { raw in
            var index = 0
            while index < raw.count {
                let byte = raw[index]
                if byte == 0x0D {
                    guard index + 1 < raw.count, raw[index + 1] == 0x0A else { return 0x0D }
                    index += 2
                } else if byte == 0x0A {
                    return 0x0A
                } else {
                    index += 1
                }
            }
            return nil
        }
        if let bare { throw HTTPError(400, bare == 0x0D ? "bare CR in request head" : "bare LF in request head") }

        var lineStart = bytes.startIndex
        let requestLineEnd = bytes[lineStart...].firstIndex(of: 0x0D) ?? bytes.endIndex
        let (method, target, minorVersion) = try parseRequestLine(bytes[lineStart..<requestLineEnd])
        lineStart = requestLineEnd + 2
        // The fields the server itself reads, noted as they go by: one pass, no lookups after.
        var framingFields = FramingFields()
        var headers = HTTPHeaders()
        while lineStart <= bytes.endIndex {
            let lineEnd = bytes[lineStart...].firstIndex(of: 0x0D) ?? bytes.endIndex
            let line = bytes[lineStart..<lineEnd]
            lineStart = lineEnd + 2
            let (name, value) = try parseFieldLine(line, section: "header")
            framingFields.note(name, value)
            headers.add(name, value)
            if headers.count > limits.maxHeaderCount {
                throw HTTPError(431, "more than \(limits.maxHeaderCount) header fields")
            }
        }

        if minorVersion == 1 && framingFields.hosts != 1 {
            throw HTTPError(400, framingFields.hosts == 0 ? "missing Host header" : "more than one Host header")
        }

        let framing = try framing(framingFields, minorVersion: minorVersion)
        let keepAlive = minorVersion == 1 ? !framingFields.connectionClose : framingFields.connectionKeepAlive

        var expectsContinue = false
        if let expect = framingFields.expect {
            guard expect.equalsASCIICaseInsensitive("100-continue") else {
                throw HTTPError(417, "unsupported expectation '\(expect)'")
            }
            expectsContinue = minorVersion == 1 && framing != .none && framing != .length(0)
        }

        let (path, query) = try splitTarget(target, method: method)
        return HTTPRequestHead(
            method: method, target: target, path: path, queryItems: Self.parseQuery(query),
            minorVersion: minorVersion, headers: headers, keepAlive: keepAlive,
            expectsContinue: expectsContinue, framing: framing)
    }

    /// One `field-name ":" OWS field-value OWS` line of the head or the trailer section (CRLF
    /// already removed, bare CR and LF already refused). NUL and other controls are never allowed
    /// in a field (RFC 9110 §5.5).
    private func parseFieldLine(_ line: ArraySlice<UInt8>, section: String) throws(HTTPError) -> (String, String) {
        guard let first = line.first else { throw HTTPError(400, "empty \(section) line") }
        if first == 0x20 || first == 0x09 { throw HTTPError(400, "obsolete line folding in \(section) field") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPError(400, "\(section) field without ':'")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            throw HTTPError(400, "invalid \(section) field name '\(String(decoding: name, as: UTF8.self))'")
        }
        var value = line[(colon + 1)...]
        while let c = value.first, c == 0x20 || c == 0x09 { value = value.dropFirst() }
        while let c = value.last, c == 0x20 || c == 0x09 { value = value.dropLast() }
        guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else {
            throw HTTPError(400, "invalid character in \(section) field '\(String(decoding: name, as: UTF8.self))'")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPError) -> (String, String, Int) {
        // method SP request-target SP HTTP-version: exactly two spaces, nothing empty before them.
        guard let firstSpace = line.firstIndex(of: 0x20),
            let secondSpace = line[(firstSpace + 1)...].firstIndex(of: 0x20),
            !line[(secondSpace + 1)...].contains(0x20), firstSpace > line.startIndex, secondSpace > firstSpace + 1
        else {
            throw HTTPError(400, "malformed request line")
        }
        let method = line[line.startIndex..<firstSpace]
        let target = line[(firstSpace + 1)..<secondSpace]
        let version = line[(secondSpace + 1)...]
        guard method.allSatisfy(isTokenByte) else { throw HTTPError(400, "invalid method") }
        guard target.allSatisfy(isTargetByte) else { throw HTTPError(400, "invalid character in request target") }
        let minor: Int
        if version.elementsEqual("HTTP/1.1".utf8) {
            minor = 1
        } else if version.elementsEqual("HTTP/1.0".utf8) {
            minor = 0
        } else {
            let bytes = Array(version)
            let isVersion =
                bytes.count == 8 && bytes[0..<5].elementsEqual("HTTP/".utf8) && bytes[6] == UInt8(ascii: ".")
                && isDigit(bytes[5]) && isDigit(bytes[7])
            let text = String(decoding: bytes, as: UTF8.self)
            throw isVersion
                ? HTTPError(505, "HTTP version \(text) not supported") : HTTPError(400, "malformed HTTP version")
        }
        return (String(decoding: method, as: UTF8.self), String(decoding: target, as: UTF8.self), minor)
    }

    private func framing(_ fields: FramingFields, minorVersion: Int) throws(HTTPError) -> HTTPRequestHead.Framing {
        let transferEncodings = fields.transferEncodings
        let lengths = fields.contentLengths
        if !transferEncodings.isEmpty {
            guard lengths.isEmpty else { throw HTTPError(400, "both Content-Length and Transfer-Encoding") }
            guard minorVersion == 1 else { throw HTTPError(400, "Transfer-Encoding in an HTTP/1.0 request") }
            let codings = transferEncodings.flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters().lowercased()
            }
            guard codings.last == "chunked" else { throw HTTPError(400, "Transfer-Encoding must end with chunked") }
            guard codings.count == 1 else {
                throw HTTPError(501, "unsupported transfer coding '\(codings.dropLast().joined(separator: ", "))'")
            }
            return .chunked
        }
        guard !lengths.isEmpty else { return .none }
        var length: Int?
        for value in lengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let text = value.trimmingCharacters()
            guard !text.isEmpty, text.utf8.allSatisfy(isDigit), text.utf8.count <= 18, let parsed = Int(text) else {
                throw HTTPError(400, "invalid Content-Length '\(text)'")
            }
            if let length, length != parsed { throw HTTPError(400, "conflicting Content-Length values") }
            length = parsed
        }
        guard length! <= limits.maxBodyBytes else {
            throw HTTPError(413, "request body of \(length!) bytes exceeds \(limits.maxBodyBytes)")
        }
        return .length(length!)
    }

    private func splitTarget(_ target: String, method: String) throws(HTTPError) -> (String, Substring) {
        var rest = Substring(target)
        if method == "CONNECT" {
            // A tunnel (authority-form target) is not something a handler server does.
            throw HTTPError(501, "CONNECT is not supported")
        }
        if target == "*" {
            guard method == "OPTIONS" else { throw HTTPError(400, "'*' target is only for OPTIONS") }
            return ("*", "")
        }
        if rest.utf8.first != UInt8(ascii: "/") {
            // absolute-form: http://host[:port]/path?query
            let lower = rest.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
                throw HTTPError(400, "invalid request target")
            }
            rest = rest.dropFirst(lower.hasPrefix("http://") ? 7 : 8)
            rest = rest.firstIndex(where: { $0 == "/" || $0 == "?" }).map { rest[$0...] } ?? "/"
            if rest.hasPrefix("?") { rest = "/" + rest }
        }
        // Bytes, not Characters: the target is ASCII (checked), and this runs on every request.
        let queryStart = rest.utf8.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = queryStart.map { rest[..<$0] } ?? rest
        let query = queryStart.map { rest[rest.utf8.index(after: $0)...] } ?? ""
        guard let path = Self.percentDecode(rawPath, plusAsSpace: false), !path.utf8.contains(0) else {
            throw HTTPError(400, "invalid percent-encoding in path")
        }
        return (path, query)
    }

    package static func parseQuery(_ query: Substring) -> [QueryItem] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let (name, value) =
                pair.firstIndex(of: "=").map { (pair[..<$0], pair[pair.index(after: $0)...]) } ?? (pair, "")
            return QueryItem(
                name: percentDecode(name, plusAsSpace: true) ?? String(name),
                value: percentDecode(value, plusAsSpace: true) ?? String(value))
        }
    }

    /// Percent-decodes `text`; nil when an escape is malformed or the result is not UTF-8.
    package static func percentDecode(_ text: Substring, plusAsSpace: Bool) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) || (plusAsSpace && text.utf8.contains(UInt8(ascii: "+"))) else {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else if plusAsSpace && byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// The header fields that decide how a request is framed and whether its connection stays open,
/// noted while the head is parsed so nothing looks them up afterwards.
private struct FramingFields {
    var hosts = 0
    var contentLengths: [String] = []
    var transferEncodings: [String] = []
    var expect: String?
    /// `Connection` names `close` / `keep-alive` (in any of its fields, any case).
    var connectionClose = false
    var connectionKeepAlive = false

    mutating func note(_ name: String, _ value: String) {
        // Told apart by length first: most fields are none of these five.
        switch name.utf8.count {
        case 4 where name.equalsASCIICaseInsensitive("host"):
            hosts += 1
        case 6 where name.equalsASCIICaseInsensitive("expect"):
            if expect == nil { expect = value }
        case 10 where name.equalsASCIICaseInsensitive("connection"):
            forEachListElement(value.utf8) { option in
                if option.equalsASCIICaseInsensitive("close".utf8) { connectionClose = true }
                if option.equalsASCIICaseInsensitive("keep-alive".utf8) { connectionKeepAlive = true }
            }
        case 14 where name.equalsASCIICaseInsensitive("content-length"):
            contentLengths.append(value)
        case 17 where name.equalsASCIICaseInsensitive("transfer-encoding"):
            transferEncodings.append(value)
        default:
            break
        }
    }
}
