import EdgeSystem
import Glibc

/// One-shot blocking requests to a local server, for command-line tools (`edge-dev routes`,
/// `edge-dev replay`, `edge-bench`) and the examples runner. Not for the server's own loops: it
/// blocks its thread.
public enum LocalHTTPClient {
    /// The body of `GET path` on `host:port` (the response ends when the server closes).
    public static func get(host: String = "127.0.0.1", port: Int, _ path: String) throws(SystemError) -> String {
        let answer = try exchange(
            host: host, port: port, method: "GET", target: path, headers: [], body: [], timeoutSeconds: 5)
        return String(decoding: answer.body, as: UTF8.self)
    }

    /// The status and body of `POST path` with a JSON body.
    public static func post(host: String = "127.0.0.1", port: Int, _ path: String, json: String) throws(SystemError)
        -> (status: Int, body: String)
    {
        let answer = try exchange(
            host: host, port: port, method: "POST", target: path, headers: [("Content-Type", "application/json")],
            body: Array(json.utf8))
        return (answer.status, String(decoding: answer.body, as: UTF8.self))
    }

    /// One whole exchange: any method, target, headers and body; the status, headers and body
    /// bytes of the answer (a chunked body decoded).
    public static func exchange(
        host: String = "127.0.0.1", port: Int, method: String, target: String, headers: [(String, String)],
        body: [UInt8], timeoutSeconds: Int = 35
    ) throws(SystemError) -> (status: Int, headers: [(String, String)], body: [UInt8]) {
        let socket = try Socket.connect(host: host, port: port, timeoutSeconds: timeoutSeconds)
        defer { socket.close() }
        var head = "\(method) \(target) HTTP/1.1\r\n"
        if !headers.contains(where: { $0.0.lowercased() == "host" }) { head += "Host: localhost\r\n" }
        for (name, value) in headers where name.lowercased() != "content-length" && name.lowercased() != "connection" {
            head += "\(name): \(value)\r\n"
        }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { head += "Content-Length: \(body.count)\r\n" }
        head += "Connection: close\r\n\r\n"
        let request = Array(head.utf8) + body
        let sent = request.withUnsafeBytes { bytes in
            Result { () throws(SystemError) in try socket.write(bytes) }
        }
        _ = try sent.get()
        var received: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        while let count = try socket.read(into: buffer), count > 0 {
            received.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        guard let end = received.firstRange(of: [13, 10, 13, 10]) else { throw SystemError("read", code: EPROTO) }
        let lines = String(decoding: received[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
        let status = lines.first?.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        var fields: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        var payload = Array(received[end.upperBound...])
        if fields.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked") })
        {
            payload = dechunk(payload)
        }
        return (status, fields, payload)
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var rest = bytes[...]
        while let lineEnd = rest.firstRange(of: [13, 10]) {
            let sizeText =
                String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
                .split(separator: ";").first.map { $0.filter { $0 != " " } } ?? ""
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard rest.endIndex - start >= size else { break }
            out += rest[start..<start + size]
            rest = rest[min(rest.endIndex, start + size + 2)...]
        }
        return out
    }
}
