import EdgeSDK
import Glibc

/// Serializes responses: status line, the handler's fields, then `Content-Length`, `Date`,
/// `Server` and, when closing, `Connection: close`.
///
/// Fixed text is appended from `StaticString`s (`append(literal:)`), numbers without a string.
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
        out.append(literal: minorVersion == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        out.append(decimal: status)
        out.append(0x20)
        out.append(contentsOf: HTTPStatus.reason(status).utf8)
        out.append(literal: "\r\n")
        for field in response.headers {
            // Framing and connection management are the server's, never a handler's. Told apart
            // by length first: a response's other fields are read once, not three times.
            switch field.name.utf8.count {
            case 14 where field.name.equalsASCIICaseInsensitive("content-length"),
                17 where field.name.equalsASCIICaseInsensitive("transfer-encoding"),
                10 where field.name.equalsASCIICaseInsensitive("connection"):
                continue
            default:
                break
            }
            out.append(contentsOf: field.name.utf8)
            out.append(literal: ": ")
            if field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
                for byte in field.value.utf8 where byte != 0x0D && byte != 0x0A { out.append(byte) }
            } else {
                out.append(contentsOf: field.value.utf8)
            }
            out.append(literal: "\r\n")
        }
        let bodyAllowed = !(100...199).contains(status) && status != 204 && status != 304
        if bodyAllowed && !streaming {
            out.append(literal: "Content-Length: ")
            out.append(decimal: response.body.count)
            out.append(literal: "\r\n")
        }
        if let requestID {
            out.append(literal: "X-Request-Id: ")
            out.append(contentsOf: requestID.utf8)
            out.append(literal: "\r\n")
        }
        out.append(literal: "Date: ")
        updateDate()
        out.append(contentsOf: dateBytes)
        out.append(literal: "\r\nServer: edge-dev\r\n")
        if !keepAlive {
            out.append(literal: "Connection: close\r\n")
        } else if minorVersion == 0 {
            out.append(literal: "Connection: keep-alive\r\n")
        }
        out.append(literal: "\r\n")
        if includeBody && bodyAllowed { out.append(contentsOf: response.body) }
    }

    /// The IMF-fixdate for now in `dateBytes`, formatted once per second.
    private mutating func updateDate() {
        var now = time(nil)
        if now != dateSecond || dateBytes.isEmpty {
            dateSecond = now
            var parts = tm()
            gmtime_r(&now, &parts)
            var buffer = [CChar](repeating: 0, count: 40)
            let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            dateBytes = buffer[0..<count].map { UInt8(bitPattern: $0) }
        }
    }
}
