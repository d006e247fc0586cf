import EdgeHTTP
import EdgeSystem
import EdgeTestSupport
import Gateway
import Glibc
import HandlerBuild
import HandlerRuntime
import Testing

/// `/_edge/events`, the dashboard and live-reload, from the real binary over real HTTP.
@Suite(.onOwnThreads, .serialized) struct EventsAndDashboardTests {
    let test: TestProject
    let serve: ServeProcess

    static let page = """
        import EdgeSDK
        func handle(_ ctx: Context, _ req: Request) -> Response {
            .html("<!doctype html><html><body><h1>v\\(ctx.version)</h1></body></html>")
        }

        """

    init() async throws {
        test = try TestProject(samples: ["hello"])
        try test.write("api", DevLoopTests.source("v1"))
        try test.write("page", Self.page)
        try test.write("quiet", Self.page)
        try FilePath.write(#"{"path": "/quiet", "liveReload": false}"#, to: test.project.manifestPath("quiet"))
        serve = try ServeProcess(handlers: test.project.handlersDirectory)
        _ = try await serve.waitUntilReady()
    }

    var apiSource: String { test.project.sourceDirectory("api") + "/handler.swift" }

    @Test func aClientGetsTheCurrentStateFirst() async throws {
        let stream = try EventStreamClient(port: serve.port)
        #expect(stream.head.status == 200)
        #expect(stream.head.header("Content-Type") == "text/event-stream")
        let snapshot = try stream.next()
        #expect(snapshot["type"] == "snapshot")
        guard case .array(let endpoints) = snapshot["status"]?["endpoints"] else {
            Issue.record("no endpoints in \(snapshot)")
            return
        }
        let hello = endpoints.first { $0["id"] == "hello" }
        #expect(hello?["state"] == "loaded")
        #expect(hello?["version"] == 1)
    }

    @Test func aSaveStreamsStartedSucceededAndSwapped() async throws {
        let stream = try EventStreamClient(port: serve.port)
        _ = try stream.next()
        try FilePath.write(DevLoopTests.source("v2"), to: apiSource)
        let events = try stream.events { $0["type"] == "swapped" && $0["endpoint"] == "api" }
            .filter { $0["endpoint"] == "api" }
        #expect(events.map { $0["type"] } == ["build-started", "build-succeeded", "swapped"])
        let retired = try stream.next()
        #expect(retired["type"] == "retired" && retired["endpoint"] == "api" && retired["version"] == 1)
        #expect(events[1]["version"] == 2)
        guard case .number(let milliseconds) = events[1]["durationMs"] else {
            Issue.record("no durationMs in \(events[1])")
            return
        }
        #expect(milliseconds > 0)
        #expect(events[2]["from"] == 1)
        #expect(events[2]["to"] == 2)
        #expect(events[2]["draining"] == 0)
        guard case .string(let time) = events[2]["time"] else {
            Issue.record("no time")
            return
        }
        #expect(time.hasSuffix("Z"))
    }

    @Test func aFailingSaveStreamsItsDiagnosticsAndTheDashboardShowsThem() async throws {
        let stream = try EventStreamClient(port: serve.port)
        _ = try stream.next()
        try FilePath.write(
            "import EdgeSDK\n\nfunc handle(_ ctx: Context, _ req: Request) -> Response {\n    .text(missing)\n}\n",
            to: apiSource)
        let failed = try stream.events { $0["type"] == "build-failed" && $0["endpoint"] == "api" }.last!
        #expect(failed["serving"] == 1)
        let diagnostic = failed["diagnostics"]?[0]
        #expect(diagnostic?["file"] == "handlers/api/src/handler.swift")
        #expect(diagnostic?["line"] == 4)
        #expect(diagnostic?["column"] == 11)
        #expect(diagnostic?["severity"] == "error")

        let page = try serve.request("GET", "/_edge/")
        #expect(page.status == 200)
        #expect(
            page.text.contains("handlers/api/src/handler.swift:4:11: cannot find &#39;missing&#39; in scope")
                || page.text.contains("handlers/api/src/handler.swift:4:11: cannot find 'missing' in scope"))
        #expect(page.text.contains("4 |     .text(missing)"))
    }

    /// With JavaScript off the page still lists everything.
    @Test func theDashboardListsEveryEndpoint() async throws {
        _ = try serve.request("GET", "/api")
        let page = try serve.request("GET", "/_edge/")
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        for id in ["api", "hello", "page", "quiet"] {
            #expect(page.text.contains(#"<tr id="endpoint-\#(id)" data-state="loaded">"#), "\(id)")
        }
        #expect(page.text.contains("<code>GET</code> /hello"))
        #expect(page.text.contains("built</span> in"))
        #expect(page.text.contains("new EventSource('/_edge/events')"))
        #expect(!page.text.contains("http://") && !page.text.contains("https://"), "no external assets")
        let fragment = try serve.request("GET", "/_edge/fragment")
        #expect(fragment.text.hasPrefix("<p class=\"summary\">4 serving"))
    }

    @Test func htmlFromHandlersGetsTheLiveReloadScript() async throws {
        let page = try serve.request("GET", "/page")
        #expect(page.text.hasPrefix("<!doctype html><html><body><h1>v1</h1><script data-edge-dev=\"live-reload\">"))
        #expect(page.text.hasSuffix("</script></body></html>"))
        #expect(page.text.contains(#"var id="page""#))
        #expect(try serve.request("GET", "/quiet").text == "<!doctype html><html><body><h1>v1</h1></body></html>")
        #expect(try serve.request("GET", "/api").text == "v1")
    }
}

@Suite(.onOwnThreads) struct LiveReloadSwitchTests {
    @Test func noLiveReloadLeavesHTMLAlone() async throws {
        let test = try TestProject(samples: [])
        try test.write("page", EventsAndDashboardTests.page)
        let serve = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--no-live-reload"])
        _ = try await serve.waitUntilReady()
        #expect(try serve.request("GET", "/page").text == "<!doctype html><html><body><h1>v1</h1></body></html>")
    }
}

/// `edge-dev new`, `routes` and `--help`, run as a user would.
@Suite(.onOwnThreads, .serialized) struct CommandTests {
    @Test func newMakesAnEndpointThatBuildsAndServesAtOnce() async throws {
        let test = try TestProject(samples: ["hello"])
        let root = test.project.rootDirectory
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        _ = try await serve.waitUntilReady()

        let made = try runEdgeDev(["new", "users", "--path", "/users/{id}"], in: root)
        #expect(made.status == 0)
        #expect(made.output.contains("created handlers/users/src/handler.swift"))
        #expect(made.output.contains("created handlers/users/endpoint.json (GET /users/{id})"))
        try await serve.waitFor("users: v1 built in")
        let reply = try serve.request("GET", "/users/42")
        #expect(reply.status == 200)
        #expect(
            reply.text == #"{"endpoint":"users","message":"Hello from users!","parameters":{"id":"42"},"version":1}"#)

        let routes = try runEdgeDev(["routes"], in: root)
        #expect(routes.status == 0)
        let lines = routes.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("METHOD  PATH") == true)
        #expect(
            lines.contains { $0.hasPrefix("GET") && $0.contains("/users/{id}") && $0.hasSuffix("users     loaded") })
        #expect(lines.contains { $0.contains("/hello") && $0.hasSuffix("loaded") })
        #expect(routes.output.contains("states from the server at http://127.0.0.1:\(serve.port)"))

        let json = try runEdgeDev(["routes", "--json"], in: root)
        let table = try JSONValue.parse(json.output)
        #expect(table[0]?["path"] == "/hello")
        #expect(table[1]?["endpoint"] == "users")
        #expect(table[1]?["method"] == .array(["GET"]))
        #expect(table[1]?["state"] == "loaded")
    }

    @Test func newRefusesBadNamesExistingFoldersAndBadRoutes() throws {
        let test = try TestProject(samples: ["hello"])
        let root = test.project.rootDirectory
        let bad = try runEdgeDev(["new", "no/slash"], in: root)
        #expect(bad.status == 2)
        #expect(bad.output.hasPrefix("Error: Invalid endpoint name 'no/slash'"))
        #expect(bad.output.contains("USAGE: edge-dev new <name>"))
        let existing = try runEdgeDev(["new", "hello"], in: root)
        #expect(existing.status == 1)
        #expect(existing.output == "error: handlers/hello already exists; choose another name\n")
        let method = try runEdgeDev(["new", "thing", "--method", "FETCH"], in: root)
        #expect(method.status == 2)
        #expect(method.output.hasPrefix("Error: unknown method 'FETCH'"))
        let path = try runEdgeDev(["new", "thing", "--path", "no-slash"], in: root)
        #expect(path.status == 2)
        #expect(!FilePath.exists(test.project.endpointDirectory("thing")))
        let routes = try runEdgeDev(["routes"], in: root)
        #expect(routes.output.contains("no server running"))
        #expect(routes.output.contains("not built"))
    }

    @Test func everyCommandHasHelpAndRefusesUnknownOptions() throws {
        let test = try TestProject(samples: [])
        let root = test.project.rootDirectory
        defer { withExtendedLifetime(test) {} }
        for command in ["serve", "build", "new", "routes"] {
            let help = try runEdgeDev([command, "--help"], in: root)
            #expect(help.status == 0, "\(command)")
            #expect(help.output.contains("USAGE: edge-dev \(command)"), "\(command)")
            #expect(help.output.contains("OPTIONS:"), "\(command)")
            #expect(help.output.contains("--handlers <dir>"), "\(command)")
            let unknown = try runEdgeDev([command, "--bogus"], in: root)
            #expect(unknown.status == 2, "\(command)")
            let lines = unknown.output.split(separator: "\n")
            #expect(lines.first == "Error: Unknown option '--bogus'", "\(command)")
            #expect(lines.dropFirst().first?.hasPrefix("USAGE: edge-dev \(command)") == true, "\(command)")
        }
        let missing = try runEdgeDev(["serve", "--port"], in: root)
        #expect(missing.status == 2)
        #expect(missing.output.hasPrefix("Error: Missing value for '--port <port>'"))
        #expect(try runEdgeDev(["serve", "--help"], in: root).output.contains("(default: 30)"))
    }

    /// DNS rebinding: a page that points its own name at 127.0.0.1 reaches us on loopback, but
    /// its `Host` (and, for a state change, its `Origin`) still names the page.
    @Test func edgePagesRefuseForeignHostsAndOrigins() async throws {
        let test = try TestProject(samples: ["hello"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await serve.waitUntilReady()
        func send(_ head: String) throws -> RawHTTPClient.Reply {
            let client = try RawHTTPClient(port: port)
            try client.send(head + "Connection: close\r\n\r\n")
            return try client.read()
        }
        let foreign = try send("GET /_edge/status HTTP/1.1\r\nHost: evil.example\r\n")
        #expect(foreign.status == 403)
        #expect(foreign.text.contains("evil.example"))
        #expect(!foreign.text.contains("endpoints"))
        #expect(try send("GET /_edge/status HTTP/1.1\r\nHost: evil.example:\(port)\r\n").status == 403)
        #expect(try send("GET /_edge/ HTTP/1.1\r\nHost: 127.0.0.1.evil.example\r\n").status == 403)
        for host in ["localhost:\(port)", "127.0.0.1:\(port)", "[::1]:\(port)", "127.0.0.2", "app.localhost"] {
            #expect(try send("GET /_edge/status HTTP/1.1\r\nHost: \(host)\r\n").status == 200, "\(host)")
        }
        let crossOrigin = try send(
            "POST /_edge/status HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: http://evil.example\r\n"
                + "Content-Length: 0\r\n")
        #expect(crossOrigin.status == 403)
        #expect(crossOrigin.text.contains("evil.example"))
        // From the dashboard's own origin the request gets as far as the method check.
        let sameOrigin = try send(
            "POST /_edge/status HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: http://127.0.0.1:\(port)\r\n"
                + "Content-Length: 0\r\n")
        #expect(sameOrigin.status == 405)
        // Handlers are not affected: any Host reaches them.
        #expect(try send("GET /hello HTTP/1.1\r\nHost: evil.example\r\n").status == 200)
    }
}
