import EdgeSystem

/// JSON-RPC messages as the Language Server and Build Server protocols frame them on a byte
/// stream: a header (`Content-Length: <n>`, other fields ignored) ended by an empty line, then
/// `n` bytes of JSON.
public struct MessageFramer: Sendable {
    /// A message larger than this is refused: compiler arguments and file lists are kilobytes.
    public static let maxMessageBytes = 64 << 20

    public struct FramingError: Error, Equatable, CustomStringConvertible, Sendable {
        public let description: String
    }

    private var buffer: [UInt8] = []

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The next whole message, or nil until more bytes have arrived.
    public mutating func next() throws(FramingError) -> JSONValue? {
        guard let headerEnd = Self.find([13, 10, 13, 10], in: buffer) else {
            guard buffer.count <= 8192 else { throw FramingError(description: "a message header longer than 8 KiB") }
            return nil
        }
        var length: Int?
        for line in String(decoding: buffer[..<headerEnd], as: UTF8.self).split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else {
                throw FramingError(description: "a header line without ':': \(line.prefix(80))")
            }
            if line[..<colon].lowercased() == "content-length" {
                guard let value = Int(line[line.index(after: colon)...].trimmingSpaces), value >= 0 else {
                    throw FramingError(description: "a Content-Length that is not a number: \(line.prefix(80))")
                }
                length = value
            }
        }
        guard let length else { throw FramingError(description: "a message without Content-Length") }
        guard length <= Self.maxMessageBytes else {
            throw FramingError(description: "a message of \(length) bytes (at most \(Self.maxMessageBytes))")
        }
        let bodyStart = headerEnd + 4
        guard buffer.count - bodyStart >= length else { return nil }
        let body = String(decoding: buffer[bodyStart..<bodyStart + length], as: UTF8.self)
        buffer.removeFirst(bodyStart + length)
        do {
            return try JSONValue.parse(body)
        } catch {
            throw FramingError(description: "a message that is not JSON (\(error))")
        }
    }

    /// `message` framed for the wire.
    public static func frame(_ message: JSONValue) -> [UInt8] {
        let body = Array(message.serialized.utf8)
        return Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return start }
        }
        return nil
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
