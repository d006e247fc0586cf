import EdgeHTTP
import EdgeSDK
import EdgeSystem
import EdgeTestSupport
import Gateway
import Glibc
import Synchronization
import Testing

@Suite(.onOwnThreads) struct HTTPServerTests {
    @Test func routesMethodsHeadAndErrorPages() async throws {
        let server = try await TestServer(samples: ["hello", "echo", "todos"])
        defer { Task { await server.stop() } }

        let hello = try server.request("GET", "/hello")
        #expect(hello.status == 200)
        #expect(hello.text == "Hello from edge-dev!\n")
        #expect(hello.header("Content-Length") == "21")
        #expect(hello.header("Server") == "edge-dev")
        #expect(hello.header("Date")?.hasSuffix(" GMT") == true)
        #expect(hello.header("X-Request-Id") != nil)

        let head = try server.request("HEAD", "/hello")
        #expect(head.status == 200 && head.header("Content-Length") == "21" && head.body.isEmpty)

        let wrongMethod = try server.request("POST", "/hello", body: "x")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD")

        let missing = try server.request("GET", "/nowhere")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/json")
        #expect(missing.text.contains(#""error":"not_found""#))
        let browser = try server.request("GET", "/nowhere", headers: ["Accept: text/html,application/xhtml+xml"])
        #expect(browser.status == 404 && browser.header("Content-Type")?.hasPrefix("text/html") == true)

        // Path parameters reach the handler; percent-encoding is decoded.
        _ = try server.request("POST", "/todos", headers: ["Content-Type: application/json"], body: #"{"title":"a b"}"#)
        let todo = try server.request("GET", "/todos/1")
        #expect(todo.text == #"{"done":false,"id":1,"title":"a b"}"#)
        let echo = try server.request("GET", "/echo?name=J%C3%BCrgen&x=1+2")
        #expect(echo.text.contains(#""name":["Jürgen"]"#))
        #expect(echo.text.contains(#""x":["1 2"]"#))
    }

    @Test func keepAliveConnectionCloseAndHTTP10() async throws {
        let server = try await TestServer(samples: ["hello"])
        defer { Task { await server.stop() } }

        let client = try server.client()
        for _ in 0..<3 {
            try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let reply = try client.read()
            #expect(reply.status == 200 && reply.header("Connection") == nil)
        }
        try client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try client.read().header("Connection") == "close")
        #expect(client.isClosedByServer())

        let old = try server.client()
        try old.send("GET /hello HTTP/1.0\r\n\r\n")
        let reply = try old.read()
        #expect(reply.status == 200 && reply.header("Connection") == "close")
        #expect(old.isClosedByServer())

        let oldKeepAlive = try server.client()
        try oldKeepAlive.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try oldKeepAlive.read().header("Connection") == "keep-alive")
        try oldKeepAlive.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try oldKeepAlive.read().status == 200)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let server = try await TestServer(samples: ["echo", "slow"])
        defer { Task { await server.stop() } }
        let client = try server.client()
        // The first is slow; the others must still come back after it, in order.
        try client.send(
            "GET /slow?ms=150 HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /echo?n=3 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree"
                + "GET /echo?n=4 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.read().text.contains("sleptMilliseconds"))
        #expect(try client.read().text.contains(#""n":["2"]"#))
        let third = try client.read()
        #expect(third.text.contains(#""n":["3"]"#) && third.text.contains(#""body":"three""#))
        #expect(try client.read().text.contains(#""n":["4"]"#))
    }

    @Test func chunkedUploadIsEchoedBack() async throws {
        let server = try await TestServer(samples: ["echo"])
        defer { Task { await server.stop() } }
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try client.send("5\r\nhello\r\n")
        try await Task.sleep(for: .milliseconds(20))
        try client.send("7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n")
        let reply = try client.read()
        #expect(reply.status == 200)
        #expect(reply.text.contains(#""body":"hello, world""#))
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        let server = try await TestServer(samples: ["echo"])
        defer { Task { await server.stop() } }
        let client = try server.client()
        try client.send("PUT /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        #expect(try client.read(interim: true).status == 100)
        try client.send("data")
        #expect(try client.read().text.contains(#""body":"data""#))
    }

    @Test(arguments: [
        (
            "both Content-Length and Transfer-Encoding",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            400
        ),
        (
            "conflicting lengths",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400
        ),
        ("malformed length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400),
        (
            "bad chunk size",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400
        ),
        ("invalid header name", "GET /echo HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n", 400),
        ("space before colon", "GET /echo HTTP/1.1\r\nHost: x\r\nName : y\r\n\r\n", 400),
        ("bare CR", "GET /echo HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400),
        ("obs-fold", "GET /echo HTTP/1.1\r\nHost: x\r\nX: a\r\n  folded\r\n\r\n", 400),
        ("missing Host", "GET /echo HTTP/1.1\r\n\r\n", 400),
        (
            "unknown transfer coding",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501
        ),
        ("HTTP/2.0 request line", "GET /echo HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("garbage", "HELLO\r\n\r\n", 400),
    ])
    func malformedRequestsGetTheRightStatusAndAClose(_ what: String, _ raw: String, _ status: Int) async throws {
        let server = try await TestServer(samples: ["echo"])
        defer { Task { await server.stop() } }
        let client = try server.client()
        try client.send(raw)
        let reply = try client.read()
        #expect(reply.status == status, "\(what)")
        #expect(reply.header("Connection") == "close", "\(what)")
        #expect(client.isClosedByServer(), "\(what)")
        // The server is fine afterwards.
        #expect(try server.request("GET", "/echo").status == 200)
    }

    @Test func limitsAnswer413_414_431() async throws {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 1024
        let server = try await TestServer(samples: ["echo"], limits: limits)
        defer { Task { await server.stop() } }

        let big = try server.client()
        try big.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 70 * 1024))\r\n\r\n")
        let bigReply = try big.read()
        #expect(bigReply.status == 431, "\(bigReply.status) \(bigReply.text)")

        let longLine = try server.client()
        try longLine.send("GET /echo?\(String(repeating: "q", count: 70 * 1024)) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try longLine.read().status == 414)

        let many = try server.client()
        try many.send("GET /echo HTTP/1.1\r\nHost: x\r\n" + (0..<150).map { "X-\($0): v\r\n" }.joined() + "\r\n")
        #expect(try many.read().status == 431)

        let body = try server.client()
        try body.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        #expect(try body.read().status == 413)

        let chunked = try server.client()
        try chunked.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n\(String(repeating: "b", count: 2048))\r\n0\r\n\r\n"
        )
        #expect(try chunked.read().status == 413)

        #expect(try server.request("POST", "/echo", body: String(repeating: "c", count: 1024)).status == 200)
    }

    @Test func aClientThatStallsMidRequestGets408() async throws {
        var limits = HTTPLimits()
        limits.headerTimeout = .milliseconds(400)
        let server = try await TestServer(samples: ["echo"], limits: limits)
        defer { Task { await server.stop() } }
        let client = try server.client()
        try client.send("GET /echo HTTP/1.1\r\nHost: x\r\n")  // and never the blank line
        let started = ContinuousClock.now
        let reply = try client.read()
        #expect(reply.status == 408)
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(client.isClosedByServer())
    }

    /// Large bodies being received share one memory budget: past it, 503 with Retry-After, and
    /// the budget comes back when a body's request is answered.
    @Test func largeBodiesShareABudget() async throws {
        var limits = HTTPLimits()
        limits.maxBufferedBodyBytes = 1024 * 1024
        let server = try await TestServer(samples: ["echo"], limits: limits)
        defer { Task { await server.stop() } }
        let size = 700 * 1024
        let head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: \(size)\r\n\r\n"
        let first = try server.client()
        try first.send(head + String(repeating: "a", count: 100 * 1024))  // and the rest later
        try await Task.sleep(for: .milliseconds(200))

        let second = try server.client()
        try second.send(head + String(repeating: "b", count: 100 * 1024))
        let refused = try second.read()
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "1")

        try first.send(String(repeating: "a", count: size - 100 * 1024))
        #expect(try first.read().status == 200)
        // The first body's share is back: the same upload now fits.
        let third = try server.client()
        try third.send(head + String(repeating: "c", count: size))
        #expect(try third.read().status == 200)
        // Small bodies are never counted, whatever the budget.
        #expect(try server.request("POST", "/echo", body: "small").status == 200)
    }

    @Test func aThousandConcurrentKeepAliveConnections() async throws {
        raiseOpenFileLimit()
        let server = try await TestServer(samples: ["hello"])
        defer { Task { await server.stop() } }
        var clients: [RawHTTPClient] = []
        for _ in 0..<1000 { clients.append(try server.client()) }
        for round in 0..<2 {
            for client in clients { try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n") }
            var ok = 0
            for client in clients where try client.read().status == 200 { ok += 1 }
            #expect(ok == 1000, "round \(round)")
        }
        #expect(server.server.openConnections == 1000)
    }

    @Test func theRouteTableIsSwappedUnderLoadWithoutAFailedRequest() async throws {
        let server = try await TestServer(samples: ["hello", "echo"])
        defer { Task { await server.stop() } }
        let manifest = server.test.project.manifestPath("echo")
        let failures = LockedList()
        let done = AtomicFlag()
        let port = server.port
        let counter = AtomicCounter()
        let load = (0..<4).map { _ in
            Task {
                try await onThread {
                    let client = try RawHTTPClient(port: port)
                    var count = 0
                    while !done.isSet {
                        try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                        let reply = try client.read()
                        if reply.status != 200 { failures.append("\(reply.status) \(reply.text)") }
                        count += 1
                        counter.increment()
                    }
                    return count
                }
            }
        }
        #expect(await eventually { counter.value >= 100 })
        for round in 0..<100 {
            try FilePath.write(#"{"method": "GET", "path": "/echo-\#(round)"}"#, to: manifest)
            server.dev.manifestChanged("echo")
            try await Task.sleep(for: .milliseconds(2))
        }
        let duringSwaps = counter.value
        #expect(try server.request("GET", "/echo-99").status == 200)
        #expect(try server.request("GET", "/echo").status == 404)
        done.set()
        var total = 0
        for task in load { total += try await task.value }
        #expect(total > duringSwaps - 100 && duringSwaps > 100)
        #expect(failures.items.isEmpty)
    }

    @Test func brokenManifestsPutOnlyTheirEndpointInError() async throws {
        let server = try await TestServer(samples: ["hello"]) { test in
            try test.write("bad", "import EdgeSDK\nfunc handle(_ req: Request) -> Response { .text(\"bad\") }\n")
            try FilePath.write("{\"method\": \"GET\",\n \"path\": /bad}", to: test.project.manifestPath("bad"))
            try test.write("twin", "import EdgeSDK\nfunc handle(_ req: Request) -> Response { .text(\"twin\") }\n")
            try FilePath.write(#"{"method": "GET", "path": "/hello"}"#, to: test.project.manifestPath("twin"))
        }
        defer { Task { await server.stop() } }
        #expect(try server.request("GET", "/hello").text == "Hello from edge-dev!\n")
        #expect(server.dev.state(of: "bad") == .error)
        #expect(server.dev.state(of: "twin") == .error)
        #expect(server.dev.state(of: "hello") == .loaded)
        let status = try server.request("GET", "/_edge/status")
        #expect(status.status == 200)
        #expect(status.text.contains(#""file":"handlers/bad/endpoint.json","line":2,"column":10"#))
        #expect(status.text.contains("is already claimed by endpoint 'hello'"))
    }

    @Test func statusReportsEndpointsAndStats() async throws {
        let server = try await TestServer(samples: ["hello", "todos"])
        defer { Task { await server.stop() } }
        let reply = try server.request("GET", "/_edge/status")
        let document = try JSONValue.parse(reply.text)
        guard case .array(let endpoints) = document["endpoints"] else {
            Issue.record("no endpoints array")
            return
        }
        #expect(endpoints.count == 2)
        let todos = try #require(endpoints.first { $0["id"] == "todos" })
        for key in ["id", "state", "version", "methods", "path", "activeRequests", "lastBuild"] {
            #expect(todos[key] != nil, "missing \(key)")
        }
        #expect(todos["state"] == "loaded")
        #expect(todos["version"] == 1)
        #expect(todos["methods"] == ["GET", "POST", "DELETE"])
        #expect(todos["path"] == "/todos")
        #expect(todos["lastBuild"]?["ok"] == true)
        #expect(todos["lastBuild"]?["diagnostics"] == [])
        for key in ["loadedCount", "drainingCount", "activeRequests", "drainingRequests"] {
            #expect(document["stats"]?[key] != nil, "missing stats.\(key)")
        }
        #expect(document["stats"]?["loadedCount"] == 2)

        // Only loopback clients are answered.
        let remote = IncomingRequest(
            request: Request(path: "/_edge/status", requestID: "r"), wireMethod: "GET", isLoopback: false)
        guard case .now(let forbidden, _) = server.dev.reply(to: remote) else {
            Issue.record("expected an immediate answer")
            return
        }
        #expect(forbidden.status == 403)
    }
}
