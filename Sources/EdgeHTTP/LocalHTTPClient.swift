import EdgeSystem
import Glibc

/// A one-shot blocking GET to a local server, for small command-line tools (`edge-dev routes`,
/// `edge-bench`). Not for the server's own use: it blocks its thread.
public enum LocalHTTPClient {
    /// The body of `GET path` on `host:port` (the response ends when the server closes).
    public static func get(host: String = "127.0.0.1", port: Int, _ path: String) throws(SystemError) -> String {
        try send(host: host, port: port, "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").body
    }

    /// The status and body of `POST path` with a JSON body.
    public static func post(host: String = "127.0.0.1", port: Int, _ path: String, json: String) throws(SystemError)
        -> (status: Int, body: String)
    {
        try send(
            host: host, port: port,
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(json.utf8.count)\r\nConnection: close\r\n\r\n\(json)")
    }

    private static func send(host: String, port: Int, _ text: String) throws(SystemError) -> (status: Int, body: String)
    {
        let socket = try Socket.connect(host: host, port: port)
        defer { socket.close() }
        var request = text
        let sent = request.withUTF8 { bytes in
            Result { () throws(SystemError) in try socket.write(UnsafeRawBufferPointer(bytes)) }
        }
        _ = try sent.get()
        var received: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        while let count = try socket.read(into: buffer), count > 0 {
            received.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.firstRange(of: "\r\n\r\n") else { throw SystemError("read", code: EPROTO) }
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, String(text[split.upperBound...]))
    }
}
