import EdgeHTTP
import EdgeSDK
import Testing

/// RFC 9112 framing corner cases, one rule a test: where two parsers could read the same bytes
/// two ways, ours refuses (400 and close) or agrees with the RFC.
@Suite struct HTTPFramingTests {
    typealias Parse = HTTPRequestParserTests

    static func chunked(_ tail: String) -> String {
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + tail
    }

    // MARK: - Trailer fields (RFC 9112 §7.1.2, RFC 9110 §5.5)

    @Test(arguments: [
        ("bare LF ending a trailer line", "X: a\n\r\n"),
        ("NUL in a trailer value", "X: a\u{0}b\r\n\r\n"),
        ("a trailer line without a colon", "NoColon\r\n\r\n"),
        ("whitespace before the colon", "X : a\r\n\r\n"),
        ("an invalid trailer name", "Bad Name: a\r\n\r\n"),
        ("obs-fold in the trailer section", "X: a\r\n folded\r\n\r\n"),
        ("bare CR in a trailer value", "X: a\rb\r\n\r\n"),
    ])
    func malformedTrailersAreRefused(_ what: String, _ trailer: String) {
        let outcome = Parse.parse(Self.chunked("3\r\nabc\r\n0\r\n" + trailer))
        #expect(outcome.error?.status == 400, "\(what): \(outcome)")
        #expect(outcome.requests.isEmpty, "\(what)")
    }

    /// The smuggling shape from the corpus: to a parser that accepts a bare LF in a trailer line,
    /// this is one request; to one that does not (nginx), two. We refuse it.
    @Test func aBareLFTrailerCannotHideASecondRequest() {
        let outcome = Parse.parse(Self.chunked("0\r\nX: a\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(outcome.error?.status == 400)
        #expect(outcome.requests.isEmpty)
    }

    @Test func wellFormedTrailersAreAcceptedAndDropped() throws {
        let request = try Parse.single(Self.chunked("3\r\nabc\r\n0\r\nX-Checksum: 1\r\nY:2\r\n\r\n"))
        #expect(request.body == Array("abc".utf8))
        #expect(request.headers.first("X-Checksum") == nil)
    }

    @Test func theTrailerSectionHasTheHeadsLimits() {
        var limits = HTTPLimits()
        limits.maxHeadBytes = 256
        let big = String(repeating: "X: \(String(repeating: "a", count: 60))\r\n", count: 8)
        // All in one read, and line by line: the same verdict either way.
        let raw = Self.chunked("0\r\n" + big + "\r\n")
        #expect(Parse.parse(raw, limits: limits).error?.status == 431)
        #expect(Parse.parse(Array(raw.utf8).map { [$0] }, limits: limits).error?.status == 431)
        var counted = HTTPLimits()
        counted.maxHeaderCount = 4
        let many = String(repeating: "X: a\r\n", count: 5)
        #expect(Parse.parse(Self.chunked("0\r\n" + many + "\r\n"), limits: counted).error?.status == 431)
    }

    // MARK: - Chunk extensions (RFC 9112 §7.1.1)

    @Test(arguments: [
        "3;name\r\nabc\r\n0\r\n\r\n",
        "3;name=value\r\nabc\r\n0\r\n\r\n",
        "3 ; a = b ; c\r\nabc\r\n0\r\n\r\n",
        "3;q=\"quoted; \\\"value\\\"\"\r\nabc\r\n0\r\n\r\n",
        "3\t;a\r\nabc\r\n0;last\r\n\r\n",
    ])
    func wellFormedChunkExtensionsAreIgnored(_ tail: String) throws {
        #expect(try Parse.single(Self.chunked(tail)).body == Array("abc".utf8))
    }

    @Test(arguments: [
        ("no name after ';'", "2;\r\nab\r\n0\r\n\r\n"),
        ("an unbalanced quote", "2;a=\"b\r\nab\r\n0\r\n\r\n"),
        ("a space after the size without ';'", "a \r\n0123456789\r\n0\r\n\r\n"),
        ("'=' without a value", "2;a=\r\nab\r\n0\r\n\r\n"),
        ("a non-token name", "2;a b\r\nab\r\n0\r\n\r\n"),
        ("whitespace before the size", " 2\r\nab\r\n0\r\n\r\n"),
        ("a control byte in a quoted value", "2;a=\"\u{1}\"\r\nab\r\n0\r\n\r\n"),
        ("a bare LF in the size line", "2;a\nb\r\nab\r\n0\r\n\r\n"),
    ])
    func malformedChunkExtensionsAreRefused(_ what: String, _ tail: String) {
        let outcome = Parse.parse(Self.chunked(tail))
        #expect(outcome.error?.status == 400, "\(what): \(outcome)")
    }

    @Test func aChunkSizeLineHasALengthLimit() {
        let long = "2;" + String(repeating: "a", count: HTTPRequestParser.maxChunkLineBytes) + "\r\nab\r\n0\r\n\r\n"
        #expect(Parse.parse(Self.chunked(long)).error?.status == 400)
    }

    // MARK: - Empty lines before the request line (RFC 9112 §2.2)

    @Test func aCRLFAfterAPostBodyDoesNotKillTheNextRequest() {
        let post = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
        let raw = post + "\r\n" + "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
        let outcome = Parse.parse(raw)
        #expect(outcome.error == nil)
        #expect(outcome.requests.map(\.path) == ["/echo", "/hello"])
        // Split at every position, the same two requests.
        let bytes = Array(raw.utf8)
        for cut in 1..<bytes.count {
            let split = Parse.parse([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(split.requests.map(\.path) == ["/echo", "/hello"], "cut at \(cut)")
        }
    }

    @Test func aFewEmptyLinesAreIgnored() throws {
        let lines = String(repeating: "\r\n", count: HTTPRequestParser.maxLeadingEmptyLines)
        #expect(try Parse.single(lines + "GET /a HTTP/1.1\r\nHost: x\r\n\r\n").path == "/a")
        // A lone CR (or LF) is not an empty line.
        #expect(Parse.parse("\rGET /a HTTP/1.1\r\nHost: x\r\n\r\n").error?.status == 400)
        #expect(Parse.parse("\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n").error?.status == 400)
    }

    // MARK: - The request target (RFC 9112 §3.2)

    @Test(arguments: [
        "/caf\u{E9}", "/a\u{1}b", "/a\"b", "/a<b>", "/a\\b", "/a{b}", "/a|b", "/a^b", "/a`b", "/a#frag", "/\u{7F}",
    ])
    func rawBytesOutsideTheTargetGrammarAreRefused(_ target: String) {
        let outcome = Parse.parse("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(outcome.error?.status == 400, "\(target.debugDescription): \(outcome)")
    }

    @Test func percentEncodedFormsAreFine() throws {
        let request = try Parse.single("GET /caf%C3%A9/%7Bx%7D?q=%22a%22&r=[1] HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(request.path == "/café/{x}")
        #expect(request.queryItems.first?.value == "\"a\"")
    }

    @Test func connectIsNotImplemented() {
        let outcome = Parse.parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        #expect(outcome.error == HTTPError(501, "CONNECT is not supported"))
    }
}
