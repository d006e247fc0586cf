import EdgeHTTP
import EdgeSDK
import Testing

/// The request parser on its own: bytes in, events out, no socket.
@Suite struct HTTPRequestParserTests {
    /// A parsed request with every field the parser fills in, comparable as a whole.
    struct Parsed: Equatable, CustomStringConvertible {
        var method: String
        var target: String
        var path: String
        var queryItems: [QueryItem]
        var minorVersion: Int
        var headers: HTTPHeaders
        var keepAlive: Bool
        var expectsContinue: Bool
        var framing: HTTPRequestHead.Framing
        var body: [UInt8]

        init(_ head: HTTPRequestHead, body: [UInt8]) {
            method = head.method
            target = head.target
            path = head.path
            queryItems = head.queryItems
            minorVersion = head.minorVersion
            headers = head.headers
            keepAlive = head.keepAlive
            expectsContinue = head.expectsContinue
            framing = head.framing
            self.body = body
        }

        var bodyText: String { String(decoding: body, as: UTF8.self) }
        var description: String { "\(method) \(target) HTTP/1.\(minorVersion) \(headers.fields) body: \(bodyText)" }
    }

    /// What a byte stream came to: the requests parsed, then the error that stopped it, if any.
    struct Outcome: Equatable, CustomStringConvertible {
        var requests: [Parsed] = []
        var error: HTTPError?
        /// `continueExpected` events seen.
        var continues = 0
        /// Where `start` ended.
        var consumed = 0

        var description: String { "requests: \(requests), error: \(String(describing: error))" }
    }

    /// Feeds `pieces` one after another into one growing buffer, keeping `start`, and reads every
    /// event until the parser needs more or throws.
    static func parse(_ pieces: [[UInt8]], limits: HTTPLimits = HTTPLimits()) -> Outcome {
        var parser = HTTPRequestParser(limits: limits)
        var buffer: [UInt8] = []
        var start = 0
        var outcome = Outcome()
        for piece in pieces {
            buffer.append(contentsOf: piece)
            do throws(HTTPError) {
                events: while true {
                    switch try parser.next(buffer, start: &start) {
                    case .needMore: break events
                    case .continueExpected: outcome.continues += 1
                    case .request(let head, let body): outcome.requests.append(Parsed(head, body: body))
                    }
                }
            } catch {
                outcome.error = error
                outcome.consumed = start
                return outcome
            }
        }
        outcome.consumed = start
        return outcome
    }

    static func parse(_ raw: String, limits: HTTPLimits = HTTPLimits()) -> Outcome {
        parse([Array(raw.utf8)], limits: limits)
    }

    /// The one request `raw` holds, or an issue recorded.
    static func single(_ raw: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Parsed {
        let outcome = parse(raw)
        #expect(outcome.error == nil, sourceLocation: sourceLocation)
        #expect(outcome.requests.count == 1, sourceLocation: sourceLocation)
        #expect(outcome.consumed == raw.utf8.count, sourceLocation: sourceLocation)
        return try #require(outcome.requests.first, sourceLocation: sourceLocation)
    }

    // MARK: - Valid requests

    @Test func aSimpleGet() throws {
        let request = try Self.single(
            "GET /search/a%20b?q=swift+lang&x=%C3%BC&flag&empty= HTTP/1.1\r\nHost: example.com\r\n"
                + "Accept:  text/html \r\nX-Repeated: 1\r\nx-repeated: 2\r\n\r\n")
        #expect(request.method == "GET")
        #expect(request.target == "/search/a%20b?q=swift+lang&x=%C3%BC&flag&empty=")
        #expect(request.path == "/search/a b")
        #expect(
            request.queryItems == [
                QueryItem(name: "q", value: "swift lang"), QueryItem(name: "x", value: "ü"),
                QueryItem(name: "flag", value: ""), QueryItem(name: "empty", value: ""),
            ])
        #expect(request.minorVersion == 1)
        #expect(request.keepAlive)
        #expect(!request.expectsContinue)
        #expect(request.framing == .none)
        #expect(request.body.isEmpty)
        // Names keep their case, values lose surrounding whitespace, repeats stay in order.
        #expect(
            request.headers.fields == [
                .init(name: "Host", value: "example.com"), .init(name: "Accept", value: "text/html"),
                .init(name: "X-Repeated", value: "1"), .init(name: "x-repeated", value: "2"),
            ])
        #expect(request.headers.values("X-REPEATED") == ["1", "2"])
    }

    @Test func aPlusInThePathStaysAPlus() throws {
        let request = try Self.single("GET /a+b/%2B HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(request.path == "/a+b/+")
        #expect(request.queryItems.isEmpty)
    }

    @Test func anAbsoluteFormTargetIsReducedToItsPathAndQuery() throws {
        let request = try Self.single("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(request.target == "http://example.com:8080/a/b?c=d")
        #expect(request.path == "/a/b")
        #expect(request.queryItems == [QueryItem(name: "c", value: "d")])
        let bare = try Self.single("GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(bare.path == "/")
        let queryOnly = try Self.single("GET http://example.com?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(queryOnly.path == "/" && queryOnly.queryItems == [QueryItem(name: "x", value: "1")])
    }

    @Test func theAsteriskTargetIsForOptionsOnly() throws {
        let options = try Self.single("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(options.method == "OPTIONS" && options.path == "*")
        #expect(Self.parse("GET * HTTP/1.1\r\nHost: x\r\n\r\n").error?.status == 400)
    }

    @Test func aContentLengthBody() throws {
        let request = try Self.single(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(request.method == "POST")
        #expect(request.framing == .length(11))
        #expect(request.bodyText == "hello world")
        #expect(request.headers["content-length"] == "11")
    }

    @Test func aZeroContentLengthIsARequestWithoutBody() throws {
        let request = try Self.single("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(request.framing == .length(0) && request.body.isEmpty)
    }

    @Test func repeatedEqualContentLengthsAreOneLength() throws {
        let request = try Self.single(
            "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc")
        #expect(request.framing == .length(3) && request.bodyText == "abc")
    }

    @Test func aChunkedBodyWithExtensionsAndTrailers() throws {
        let request = try Self.single(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
                + "5\r\nhello\r\n7;ext=1\r\n, world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n")
        #expect(request.framing == .chunked)
        #expect(request.bodyText == "hello, world0123456789")
        // Trailer fields are read past, not merged into the head.
        #expect(request.headers["X-Trailer"] == nil)
    }

    @Test func aChunkedBodyArrivingInPieces() {
        var parser = HTTPRequestParser(limits: HTTPLimits())
        var buffer = Array("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        var start = 0
        var events: [String] = []
        var body: [UInt8]?
        for piece in ["3\r\nab", "c\r", "\n", "0\r\n", "\r\n"] {
            buffer += Array(piece.utf8)
            do {
                switch try parser.next(buffer, start: &start) {
                case .needMore: events.append("needMore")
                case .continueExpected: events.append("continue")
                case .request(_, let complete):
                    events.append("request")
                    body = complete
                }
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(events == ["needMore", "needMore", "needMore", "needMore", "request"])
        #expect(body == Array("abc".utf8))
        #expect(start == buffer.count)
        #expect(parser.isIdle)
    }

    @Test func pipelinedRequestsInOneBuffer() throws {
        let raw =
            "GET /one HTTP/1.1\r\nHost: x\r\n\r\n" + "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree"
            + "POST /four HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
            + "GET /five HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let outcome = Self.parse(raw)
        #expect(outcome.error == nil)
        #expect(outcome.requests.map(\.path) == ["/one", "/two", "/four", "/five"])
        #expect(outcome.requests.map(\.bodyText) == ["", "three", "ab", ""])
        #expect(outcome.requests.map(\.keepAlive) == [true, true, true, false])
        #expect(outcome.consumed == raw.utf8.count)
    }

    @Test func thePartOfTheNextRequestThatArrivedWaitsInTheBuffer() throws {
        var parser = HTTPRequestParser(limits: HTTPLimits())
        let first = Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var buffer = first + Array("GET /b HT".utf8)
        var start = 0
        guard case .request(let head, _) = try parser.next(buffer, start: &start) else {
            Issue.record("expected the first request")
            return
        }
        #expect(head.path == "/a")
        #expect(start == first.count)
        guard case .needMore = try parser.next(buffer, start: &start) else {
            Issue.record("expected needMore")
            return
        }
        #expect(parser.isIdle)
        buffer += Array("TP/1.1\r\nHost: x\r\n\r\n".utf8)
        guard case .request(let second, _) = try parser.next(buffer, start: &start) else {
            Issue.record("expected the second request")
            return
        }
        #expect(second.path == "/b")
        #expect(start == buffer.count)
    }

    @Test func head() throws {
        let request = try Self.single("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(request.method == "HEAD" && request.path == "/hello")
        #expect(request.framing == .none && request.body.isEmpty && request.keepAlive)
    }

    @Test func http10ClosesUnlessItAsksForKeepAlive() throws {
        let plain = try Self.single("GET /old HTTP/1.0\r\n\r\n")
        #expect(plain.minorVersion == 0)
        #expect(!plain.keepAlive)
        let keepAlive = try Self.single("GET /old HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        #expect(keepAlive.minorVersion == 0 && keepAlive.keepAlive)
        let listed = try Self.single("GET /old HTTP/1.0\r\nConnection: TE,\tKeep-Alive \r\n\r\n")
        #expect(listed.keepAlive)
        let withBody = try Self.single("POST /old HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi")
        #expect(withBody.bodyText == "hi" && !withBody.keepAlive)
    }

    @Test(arguments: [
        ("Connection: close", false), ("Connection: Close", false), ("Connection: keep-alive, close", false),
        ("Connection: upgrade", true), ("Connection: keep-alive", true),
        // A list with spaces, tabs, empty elements and mixed case, and the option in a second field.
        ("Connection: upgrade ,,\t CLOSE ", false), ("Connection: upgrade\r\nConnection: close", false),
        ("Connection: closed, x-close", true),
    ])
    func http11KeepsAliveUnlessTold(_ field: String, _ keepAlive: Bool) throws {
        let request = try Self.single("GET / HTTP/1.1\r\nHost: x\r\n\(field)\r\n\r\n")
        #expect(request.keepAlive == keepAlive)
    }

    @Test func expect100ContinueAsksForAnInterimResponseOnce() throws {
        var parser = HTTPRequestParser(limits: HTTPLimits())
        var buffer = Array("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n".utf8)
        var start = 0
        guard case .continueExpected = try parser.next(buffer, start: &start) else {
            Issue.record("expected continueExpected")
            return
        }
        #expect(!parser.isIdle)
        guard case .needMore = try parser.next(buffer, start: &start) else {
            Issue.record("expected needMore after the interim response")
            return
        }
        buffer += Array("da".utf8)
        guard case .needMore = try parser.next(buffer, start: &start) else {
            Issue.record("expected needMore for half the body")
            return
        }
        buffer += Array("ta".utf8)
        guard case .request(let head, let body) = try parser.next(buffer, start: &start) else {
            Issue.record("expected the request")
            return
        }
        #expect(head.expectsContinue)
        #expect(body == Array("data".utf8))
        #expect(parser.isIdle)
    }

    @Test func expect100ContinueForAChunkedBody() throws {
        let outcome = Self.parse(
            "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(outcome.continues == 1 && outcome.requests.isEmpty && outcome.error == nil)
    }

    @Test func noInterimResponseWhenTheBodyIsAlreadyHereOrThereIsNone() throws {
        let whole = Self.parse("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok")
        #expect(whole.continues == 0 && whole.requests.map(\.bodyText) == ["ok"])
        let empty = try Self.single("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")
        #expect(!empty.expectsContinue)
        let old = Self.parse("PUT /up HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        #expect(old.continues == 0 && old.requests.isEmpty && old.error == nil)
    }

    // MARK: - Malformed requests

    @Test(arguments: [
        (
            "both Content-Length and Transfer-Encoding",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n",
            400
        ),
        (
            "conflicting lengths",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400
        ),
        ("conflicting lengths in one field", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", 400),
        ("malformed length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400),
        ("negative length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        ("empty length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400),
        ("hex length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc", 400),
        (
            "too many digits in a length",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0000000000000000003\r\n\r\nabc", 400
        ),
        (
            "bad chunk size",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400
        ),
        (
            "empty chunk size",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\nabc\r\n0\r\n\r\n", 400
        ),
        (
            "signed chunk size",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n", 400
        ),
        (
            "chunk size past 15 hex digits",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000003\r\nabc\r\n0\r\n\r\n",
            400
        ),
        (
            "bare CR in a chunk extension",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a\rb\r\nabc\r\n0\r\n\r\n", 400
        ),
        (
            "chunk data longer than its size",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", 400
        ),
        (
            "bare CR in a trailer",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\rb\r\n\r\n", 400
        ),
        ("invalid header name", "GET /echo HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n", 400),
        ("space before colon", "GET /echo HTTP/1.1\r\nHost: x\r\nName : y\r\n\r\n", 400),
        ("empty header name", "GET /echo HTTP/1.1\r\nHost: x\r\n: y\r\n\r\n", 400),
        ("header line without colon", "GET /echo HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
        ("control character in a value", "GET /echo HTTP/1.1\r\nHost: x\r\nX: a\u{01}b\r\n\r\n", 400),
        ("DEL in a value", "GET /echo HTTP/1.1\r\nHost: x\r\nX: a\u{7F}b\r\n\r\n", 400),
        ("bare CR", "GET /echo HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400),
        ("bare LF", "GET /echo HTTP/1.1\nHost: x\r\n\r\n", 400),
        ("obs-fold", "GET /echo HTTP/1.1\r\nHost: x\r\nX: a\r\n  folded\r\n\r\n", 400),
        ("obs-fold with a tab", "GET /echo HTTP/1.1\r\nHost: x\r\nX: a\r\n\tfolded\r\n\r\n", 400),
        ("missing Host", "GET /echo HTTP/1.1\r\n\r\n", 400),
        ("two Host fields", "GET /echo HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
        (
            "unknown transfer coding",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501
        ),
        (
            "unknown transfer coding in a second field",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            501
        ),
        ("chunked not last", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        (
            "Transfer-Encoding in HTTP/1.0",
            "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400
        ),
        (
            "unsupported expectation",
            "PUT /echo HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417
        ),
        ("HTTP/2.0 request line", "GET /echo HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("HTTP/1.2 request line", "GET /echo HTTP/1.2\r\nHost: x\r\n\r\n", 505),
        ("malformed version", "GET /echo HTTP/1.x\r\nHost: x\r\n\r\n", 400),
        ("lowercase version", "GET /echo http/1.1\r\nHost: x\r\n\r\n", 400),
        ("garbage", "HELLO\r\n\r\n", 400),
        ("two spaces in the request line", "GET  /echo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("invalid method", "G(T /echo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("relative target", "GET echo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("control character in the target", "GET /a\u{01}b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("bad percent-encoding", "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("truncated percent-encoding", "GET /a%4 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("percent-encoded NUL", "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("percent-encoded invalid UTF-8", "GET /a%FF HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (
            "more empty lines before the request line than are ignored",
            String(repeating: "\r\n", count: HTTPRequestParser.maxLeadingEmptyLines + 1)
                + "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            400
        ),
    ])
    func malformedRequestsAreRefusedWithTheRightStatus(_ what: String, _ raw: String, _ status: Int) {
        let outcome = Self.parse(raw)
        #expect(outcome.error?.status == status, "\(what): \(outcome)")
        #expect(outcome.requests.isEmpty, "\(what)")
        #expect(outcome.error?.message.isEmpty == false, "\(what)")
    }

    @Test func theErrorSaysWhatIsWrong() {
        #expect(
            Self.parse("GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n").error
                == HTTPError(400, "invalid header field name 'Bad Name'"))
        #expect(Self.parse("GET / HTTP/1.1\r\n\r\n").error == HTTPError(400, "missing Host header"))
        #expect(
            Self.parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n").error
                == HTTPError(505, "HTTP version HTTP/2.0 not supported"))
        #expect(
            Self.parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").error
                == HTTPError(501, "unsupported transfer coding 'gzip'"))
    }

    // MARK: - Limits

    @Test func aHeadTooLargeIs431() {
        let big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 70 * 1024))\r\n\r\n"
        #expect(Self.parse(big).error?.status == 431)
        // Known before the head ends: the parser does not wait for the blank line.
        let unfinished = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 70 * 1024))"
        #expect(Self.parse(unfinished).error?.status == 431)
    }

    @Test func theHeadLimitIsExact() {
        var limits = HTTPLimits()
        limits.maxHeadBytes = 64
        let prefix = "GET / HTTP/1.1\r\nHost: x\r\nX: "  // the head is everything before the blank line
        let fits = prefix + String(repeating: "v", count: 64 - prefix.utf8.count) + "\r\n\r\n"
        #expect(Self.parse(fits, limits: limits).requests.count == 1)
        let over = prefix + String(repeating: "v", count: 65 - prefix.utf8.count) + "\r\n\r\n"
        #expect(Self.parse(over, limits: limits).error?.status == 431)
    }

    @Test func aTargetTooLongIs414() {
        let long = "GET /echo?\(String(repeating: "q", count: 70 * 1024)) HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(Self.parse(long).error?.status == 414)
        let unfinished = "GET /\(String(repeating: "p", count: 70 * 1024))"
        #expect(Self.parse(unfinished).error?.status == 414)
    }

    @Test func tooManyHeaderFieldsIs431() {
        let fields = { (count: Int) in
            "GET / HTTP/1.1\r\nHost: x\r\n" + (1..<count).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        }
        #expect(Self.parse(fields(100)).requests.first?.headers.count == 100)
        #expect(Self.parse(fields(101)).error?.status == 431)
        #expect(Self.parse(fields(150)).error?.status == 431)
    }

    @Test func aBodyTooLargeIs413() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 1024
        let declared = Self.parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n", limits: limits)
        #expect(declared.error?.status == 413)
        let fits = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + String(repeating: "c", count: 1024)
        #expect(Self.parse(fits, limits: limits).requests.first?.body.count == 1024)

        let chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        let oneBigChunk = chunked + "401\r\n"  // 1025: refused before the data arrives
        #expect(Self.parse(oneBigChunk, limits: limits).error?.status == 413)
        let chunk = "100\r\n\(String(repeating: "b", count: 256))\r\n"
        let manySmall = chunked + String(repeating: chunk, count: 5)
        #expect(Self.parse(manySmall, limits: limits).error?.status == 413)
        let exactly = chunked + String(repeating: chunk, count: 4) + "0\r\n\r\n"
        #expect(Self.parse(exactly, limits: limits).requests.first?.body.count == 1024)
    }

    @Test func aChunkSizeLineWithoutEndIs400() {
        let raw =
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;\(String(repeating: "e", count: 2000))"
        #expect(Self.parse(raw).error?.status == 400)
    }

    @Test func aTrailerSectionTooLargeIs431() {
        var limits = HTTPLimits()
        limits.maxHeadBytes = 256
        let raw =
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
            + String(repeating: "X-T: \(String(repeating: "t", count: 40))\r\n", count: 10)
        #expect(Self.parse(raw, limits: limits).error?.status == 431)
    }

    // MARK: - However the bytes arrive

    static let corpus: [String] = [
        "GET /search?q=a+b&x=%C3%BC HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
        "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n"
            + "X-Trailer: t\r\n\r\n",
        "PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata",
        "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree"
            + "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3\r\nabc\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: x\r\nName : y\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: x\r\nX: a\r\n  folded\r\n\r\n",
        "GET /echo HTTP/1.1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "GET /echo HTTP/2.0\r\nHost: x\r\n\r\n",
        "HELLO\r\n\r\n",
    ]

    @Test(arguments: corpus)
    func splittingTheBytesAnywhereChangesNothing(_ raw: String) {
        let bytes = Array(raw.utf8)
        let whole = Self.parse([bytes])
        #expect(whole.error != nil || !whole.requests.isEmpty, "the corpus holds only complete requests")
        for split in 0...bytes.count {
            let pieces = Self.parse([Array(bytes[..<split]), Array(bytes[split...])])
            #expect(pieces.requests == whole.requests, "split at \(split)")
            #expect(pieces.error?.status == whole.error?.status, "split at \(split)")
            if whole.error == nil { #expect(pieces.consumed == bytes.count, "split at \(split)") }
        }
    }

    @Test(arguments: corpus)
    func oneByteAtATimeChangesNothing(_ raw: String) {
        let bytes = Array(raw.utf8)
        let whole = Self.parse([bytes])
        let trickle = Self.parse(bytes.map { [$0] })
        #expect(trickle.requests == whole.requests)
        #expect(trickle.error?.status == whole.error?.status)
    }
}
