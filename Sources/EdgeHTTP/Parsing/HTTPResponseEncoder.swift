import EdgeSDK
import Glibc

/// Serializes responses: status line, the handler's fields, then `Content-Length`, `Date`,
/// `Server` and, when closing, `Connection: close`.
package struct HTTPResponseEncoder {
    private var dateSecond = 0
    private var dateBytes: [UInt8] = []

    /// Appends the response to `out`. `includeBody` is false for HEAD (the length still says what
    /// GET would send).
    ///
    /// `streaming` leaves out `Content-Length`: the body goes on until the connection closes
    /// (Server-Sent Events), so `keepAlive` must be false.
    package mutating func encode(
        _ response: Response, minorVersion: Int, keepAlive: Bool, includeBody: Bool, requestID: String?,
        streaming: Bool = false, into out: inout [UInt8]
    ) {
        let status = response.status
        out.append(contentsOf: minorVersion == 0 ? Self.http10 : Self.http11)
        appendDecimal(status, to: &out)
        out.append(0x20)
        out.append(contentsOf: HTTPStatus.reason(status).utf8)
        out.append(contentsOf: Self.crlf)
        for field in response.headers {
            // Framing and connection management are the server's, never a handler's.
            if field.name.equalsASCIICaseInsensitive("content-length")
                || field.name.equalsASCIICaseInsensitive("transfer-encoding")
                || field.name.equalsASCIICaseInsensitive("connection")
            {
                continue
            }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: Self.colonSpace)
            if field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
                for byte in field.value.utf8 where byte != 0x0D && byte != 0x0A { out.append(byte) }
            } else {
                out.append(contentsOf: field.value.utf8)
            }
            out.append(contentsOf: Self.crlf)
        }
        let bodyAllowed = !(100...199).contains(status) && status != 204 && status != 304
        if bodyAllowed && !streaming {
            out.append(contentsOf: Self.contentLength)
            appendDecimal(response.body.count, to: &out)
            out.append(contentsOf: Self.crlf)
        }
        if let requestID {
            out.append(contentsOf: Self.requestIDField)
            out.append(contentsOf: requestID.utf8)
            out.append(contentsOf: Self.crlf)
        }
        out.append(contentsOf: Self.dateField)
        out.append(contentsOf: currentDate())
        out.append(contentsOf: Self.crlf)
        out.append(contentsOf: Self.serverField)
        if !keepAlive {
            out.append(contentsOf: Self.connectionClose)
        } else if minorVersion == 0 {
            out.append(contentsOf: Self.connectionKeepAlive)
        }
        out.append(contentsOf: Self.crlf)
        if includeBody && bodyAllowed { out.append(contentsOf: response.body) }
    }

    /// The IMF-fixdate for now, formatted once per second.
    private mutating func currentDate() -> [UInt8] {
        var now = time(nil)
        if now != dateSecond || dateBytes.isEmpty {
            dateSecond = now
            var parts = tm()
            gmtime_r(&now, &parts)
            var buffer = [CChar](repeating: 0, count: 40)
            let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            dateBytes = buffer[0..<count].map { UInt8(bitPattern: $0) }
        }
        return dateBytes
    }

    private func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8
            ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }

    private static let http11 = Array("HTTP/1.1 ".utf8)
    private static let http10 = Array("HTTP/1.0 ".utf8)
    private static let crlf = Array("\r\n".utf8)
    private static let colonSpace = Array(": ".utf8)
    private static let contentLength = Array("Content-Length: ".utf8)
    private static let requestIDField = Array("X-Request-Id: ".utf8)
    private static let dateField = Array("Date: ".utf8)
    private static let serverField = Array("Server: edge-dev\r\n".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)
}
