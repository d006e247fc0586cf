import EdgeHTTP
import EdgeSystem
import Glibc
import HandlerBuild
import HandlerRuntime

/// A deliberately dumb HTTP client over a blocking TCP socket: it sends exactly the bytes a test
/// gives it, so tests can send what no well-behaved client would.
package final class RawHTTPClient {
    package struct Reply {
        package var status: Int
        package var headers: [(String, String)]
        package var body: [UInt8]
        package var text: String { String(decoding: body, as: UTF8.self) }
        package func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package let fd: Int32
    private var buffer: [UInt8] = []

    package init(port: Int, timeoutSeconds: Int = 10) throws {
        fd = try Socket.connect(host: "127.0.0.1", port: port, timeoutSeconds: timeoutSeconds).fd
    }

    /// One request on a fresh connection to `port`, closed after the answer.
    package static func request(
        port: Int, _ method: String, _ target: String, headers: [String] = [], body: String? = nil
    )
        throws -> Reply
    {
        let client = try RawHTTPClient(port: port)
        var text = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for header in headers { text += header + "\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "Connection: close\r\n\r\n" + (body ?? "")
        try client.send(text)
        return try client.read(head: method == "HEAD")
    }

    deinit { Glibc.close(fd) }

    package func send(_ text: String) throws { try send(Array(text.utf8)) }

    package func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw SystemError.current("send") }
            offset += n
        }
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == ECONNRESET { return false }
            throw Failure(description: "recv: \(SystemError.current("recv")) (timed out?)")
        }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads one response (skipping `100 Continue` unless `interim` is set). `head` means the
    /// request was HEAD: no body follows whatever the length says.
    package func read(head: Bool = false, interim: Bool = false) throws -> Reply {
        while true {
            var reply = try readHead()
            if reply.status == 100 && !interim { continue }
            if reply.status == 100 || head || reply.status == 204 || reply.status == 304 { return reply }
            if let length = reply.header("Content-Length").flatMap({ Int($0) }) {
                while buffer.count < length {
                    if try !fill() { throw Failure(description: "connection closed inside a body") }
                }
                reply.body = Array(buffer[0..<length])
                buffer.removeFirst(length)
            } else {
                while try fill() {}
                reply.body = buffer
                buffer = []
            }
            return reply
        }
    }

    /// Reads a response head only; for a streaming body, read on with `readUntil`.
    package func readHead() throws -> Reply {
        var end: Int?
        while end == nil {
            end = findHeadEnd()
            if end == nil, try !fill() { throw Failure(description: "connection closed before a response head") }
        }
        let headText = String(decoding: buffer[0..<end!], as: UTF8.self)
        buffer.removeFirst(end! + 4)
        let lines = headText.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line: \(lines[0])")
        }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters())
        }
        return Reply(status: status, headers: headers, body: [])
    }

    /// The body up to the next `delimiter` (consumed, not returned).
    package func readUntil(_ delimiter: String) throws -> String {
        let needle = Array(delimiter.utf8)
        while true {
            if buffer.count >= needle.count {
                for index in 0...(buffer.count - needle.count)
                where Array(buffer[index..<index + needle.count]) == needle {
                    let text = String(decoding: buffer[0..<index], as: UTF8.self)
                    buffer.removeFirst(index + needle.count)
                    return text
                }
            }
            if try !fill() { throw Failure(description: "connection closed before '\(delimiter)'") }
        }
    }

    /// True when the server has closed the connection (reads end of stream).
    package func isClosedByServer() -> Bool {
        guard buffer.isEmpty else { return false }
        return (try? fill()) == false
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}

extension String {
    package func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }

    package func trimmingCharacters() -> String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}

/// Runs blocking work (a raw socket client) on its own thread, so it never ties up the small
/// cooperative pool that async code shares.
package func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await onOwnThread(name: "test-client") { Result { try body() } }.get()
}
