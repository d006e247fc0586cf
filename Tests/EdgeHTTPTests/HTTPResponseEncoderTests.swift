import EdgeSDK
import Glibc
import Testing

@testable import EdgeHTTP

/// The response encoder on its own: the exact bytes of a response, no socket.
@Suite struct HTTPResponseEncoderTests {
    /// The IMF-fixdate for now, as the encoder formats it.
    static func httpDate() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 40)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The encoded response as text, with its `Date` value checked and replaced by `<date>`.
    static func encode(
        _ response: Response, minorVersion: Int = 1, keepAlive: Bool = true, includeBody: Bool = true,
        requestID: String? = nil, streaming: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) -> String {
        var encoder = HTTPResponseEncoder()
        var out: [UInt8] = []
        let before = httpDate()
        encoder.encode(
            response, minorVersion: minorVersion, keepAlive: keepAlive, includeBody: includeBody,
            requestID: requestID, streaming: streaming, into: &out)
        let after = httpDate()
        var text = String(decoding: out, as: UTF8.self)
        let dates = [before, after].filter { text.contains("\r\nDate: \($0)\r\n") }
        #expect(!dates.isEmpty, "no current Date field in \(text)", sourceLocation: sourceLocation)
        if let date = dates.first { text = text.replacing("\r\nDate: \(date)\r\n", with: "\r\nDate: <date>\r\n") }
        return text
    }

    @Test func aKeepAliveResponseHasItsLengthDateAndServer() {
        let text = Self.encode(.text("hello"))
        #expect(
            text
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n"
                + "Date: <date>\r\nServer: edge-dev\r\n\r\nhello")
        #expect(!text.contains("Connection"))
    }

    @Test func theDateIsAnIMFFixdate() throws {
        var encoder = HTTPResponseEncoder()
        var out: [UInt8] = []
        encoder.encode(Response(), minorVersion: 1, keepAlive: true, includeBody: true, requestID: nil, into: &out)
        let text = String(decoding: out, as: UTF8.self)
        let line = try #require(text.split(separator: "\r\n").first { $0.hasPrefix("Date: ") })
        let pattern = try Regex(
            #"^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "#
                + #"\d\d:\d\d:\d\d GMT$"#)
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test(arguments: [
        (200, "OK"), (201, "Created"), (204, "No Content"), (302, "Found"), (400, "Bad Request"),
        (404, "Not Found"), (413, "Content Too Large"), (431, "Request Header Fields Too Large"),
        (500, "Internal Server Error"), (505, "HTTP Version Not Supported"), (599, "Status 599"),
    ])
    func theStatusLineHasTheReason(_ status: Int, _ reason: String) {
        let text = Self.encode(Response(status: status))
        #expect(text.hasPrefix("HTTP/1.1 \(status) \(reason)\r\n"))
    }

    @Test func connectionCloseWhenNotKeepingAlive() {
        let text = Self.encode(.text("bye"), keepAlive: false)
        #expect(
            text
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
                + "Date: <date>\r\nServer: edge-dev\r\nConnection: close\r\n\r\nbye")
    }

    @Test func http10SaysKeepAliveWhenItKeepsTheConnection() {
        let kept = Self.encode(Response(status: 200, body: Array("x".utf8)), minorVersion: 0, keepAlive: true)
        #expect(
            kept == "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nDate: <date>\r\nServer: edge-dev\r\n"
                + "Connection: keep-alive\r\n\r\nx")
        let closed = Self.encode(Response(status: 200, body: Array("x".utf8)), minorVersion: 0, keepAlive: false)
        #expect(
            closed == "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nDate: <date>\r\nServer: edge-dev\r\n"
                + "Connection: close\r\n\r\nx")
    }

    @Test func headHasTheLengthButNoBody() {
        let text = Self.encode(.text("hello"), includeBody: false)
        #expect(
            text
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n"
                + "Date: <date>\r\nServer: edge-dev\r\n\r\n")
    }

    @Test func theRequestIDComesAfterTheLength() {
        let text = Self.encode(Response(status: 404), requestID: "req-42")
        #expect(
            text
                == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX-Request-Id: req-42\r\nDate: <date>\r\n"
                + "Server: edge-dev\r\n\r\n")
    }

    @Test(arguments: [100, 204, 304])
    func statusesWithoutABodyHaveNoLengthAndNoBody(_ status: Int) {
        let text = Self.encode(Response(status: status, body: Array("ignored".utf8)))
        #expect(text == "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\nDate: <date>\r\nServer: edge-dev\r\n\r\n")
    }

    @Test func streamingLeavesOutTheLength() {
        let text = Self.encode(
            Response(status: 200, headers: ["Content-Type": "text/event-stream"]), keepAlive: false, requestID: "s1",
            streaming: true)
        #expect(
            text
                == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: s1\r\nDate: <date>\r\n"
                + "Server: edge-dev\r\nConnection: close\r\n\r\n")
    }

    @Test func framingFieldsFromTheHandlerAreDropped() {
        let response = Response(
            status: 200,
            headers: [
                "content-length": "999", "Transfer-Encoding": "chunked", "CONNECTION": "keep-alive", "X-Kept": "yes",
            ],
            body: Array("abc".utf8))
        let text = Self.encode(response)
        #expect(
            text
                == "HTTP/1.1 200 OK\r\nX-Kept: yes\r\nContent-Length: 3\r\nDate: <date>\r\nServer: edge-dev\r\n\r\nabc")
    }

    @Test func repeatedFieldsStayInOrderAndKeepTheirCase() {
        var headers = HTTPHeaders()
        headers.add("Set-Cookie", "a=1")
        headers.add("x-lower", "v")
        headers.add("Set-Cookie", "b=2")
        let text = Self.encode(Response(status: 200, headers: headers))
        #expect(
            text.hasPrefix(
                "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nx-lower: v\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n"))
    }

    @Test func crAndLFInAValueCannotSplitTheResponse() {
        let response = Response(status: 200, headers: ["X-Injected": "a\r\nSet-Cookie: evil=1\nb\rc"])
        let text = Self.encode(response)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\nX-Injected: aSet-Cookie: evil=1bc\r\nContent-Length: 0\r\n"))
        #expect(!text.split(separator: "\r\n").contains { $0.hasPrefix("Set-Cookie") })
    }

    @Test(arguments: [0, 7, 9, 10, 99, 100, 1_000, 12_345, 1_000_000])
    func theLengthIsTheBodySize(_ size: Int) {
        let text = Self.encode(Response(status: 200, body: [UInt8](repeating: 0x61, count: size)), includeBody: false)
        #expect(text.contains("\r\nContent-Length: \(size)\r\n"))
    }

    @Test func aBinaryBodyIsCopiedAsIs() {
        var encoder = HTTPResponseEncoder()
        var out: [UInt8] = []
        let body: [UInt8] = [0, 1, 0x0D, 0x0A, 0xFF, 0x80]
        encoder.encode(
            Response(status: 200, body: body), minorVersion: 1, keepAlive: true, includeBody: true, requestID: nil,
            into: &out)
        #expect(Array(out.suffix(body.count + 4)) == [0x0D, 0x0A, 0x0D, 0x0A] + body)
    }

    @Test func encodingAppendsToWhatIsAlreadyThere() {
        var encoder = HTTPResponseEncoder()
        var out = Array("previous".utf8)
        for body in ["one", "two"] {
            encoder.encode(
                .text(body), minorVersion: 1, keepAlive: true, includeBody: true, requestID: nil, into: &out)
        }
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.hasPrefix("previousHTTP/1.1 200 OK\r\n"))
        #expect(text.ranges(of: "HTTP/1.1 200 OK\r\n").count == 2)
        #expect(text.hasSuffix("\r\n\r\ntwo") && text.contains("\r\n\r\noneHTTP/1.1 200 OK"))
    }
}
