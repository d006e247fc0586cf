import EdgeHTTP
import EdgeSystem
import EdgeTestSupport
import Gateway
import Glibc
import HandlerBuild
import HandlerRuntime
import Testing

/// Save a file, get the new code: the real `edge-dev serve`, real files, real inotify, real HTTP.
@Suite(.onOwnThreads, .serialized) struct DevLoopTests {
    let test: TestProject
    let serve: ServeProcess

    init() async throws {
        test = try TestProject(samples: ["hello", "slow", "todos"])
        try test.write("api", Self.source("v1"))
        serve = try ServeProcess(handlers: test.project.handlersDirectory)
        _ = try await serve.waitUntilReady()
    }

    static func source(_ body: String) -> String {
        "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) async throws -> Response {\n    .text(\"\(body)\")\n}\n"
    }

    var sourcePath: String { test.project.sourceDirectory("api") + "/handler.swift" }

    /// Polls until `target` answers `body` (or the time runs out); returns what it last answered.
    func waitForBody(_ target: String, _ body: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            last = (try? serve.request("GET", target).text) ?? ""
            if last == body { return last }
            try await Task.sleep(for: .milliseconds(20))
        }
        return last
    }

    func status() throws -> JSONValue { try JSONValue.parse(try serve.request("GET", "/_edge/status").text) }

    func endpoint(_ id: String) throws -> JSONValue? {
        guard case .array(let endpoints) = try status()["endpoints"] else { return nil }
        return endpoints.first { $0["id"] == .string(id) }
    }

    func builtLines(_ id: String) -> Int {
        serve.log.split(separator: "\n").filter { $0.hasPrefix("\(id): v") && $0.contains(" built in ") }.count
    }

    @Test func anEditIsServedAndACompileErrorKeepsTheOldVersion() async throws {
        try FilePath.write(Self.source("v2"), to: sourcePath)
        #expect(try await waitForBody("/api", "v2") == "v2")
        #expect(try await serve.waitFor("api: v2 built in").contains("swapped"))

        try FilePath.write(
            "import EdgeSDK\n\nfunc handle(_ ctx: Context, _ req: Request) -> Response {\n    .text(missing)\n}\n",
            to: sourcePath)
        let error = try await serve.waitFor(
            "handlers/api/src/handler.swift:4:11: error: cannot find 'missing' in scope")
        #expect(!error.isEmpty)
        try await serve.waitFor("api: build failed (1 error); v2 keeps serving")
        #expect(try serve.request("GET", "/api").text == "v2")
        let api = try #require(try endpoint("api"))
        #expect(api["state"] == "loaded")
        #expect(api["version"] == 2)
        #expect(api["lastBuild"]?["ok"] == false)
        guard case .array(let diagnostics) = api["lastBuild"]?["diagnostics"], let first = diagnostics.first else {
            Issue.record("no diagnostics in status")
            return
        }
        #expect(first["file"] == "handlers/api/src/handler.swift")
        #expect(first["line"] == 4)
        #expect(first["column"] == 11)
        #expect(first["severity"] == "error")

        try FilePath.write(Self.source("fixed"), to: sourcePath)
        #expect(try await waitForBody("/api", "fixed") == "fixed")
        #expect(try endpoint("api")?["version"] == 3)
    }

    @Test func vimAndJetBrainsSavesAreEachPickedUpExactlyOnce() async throws {
        let src = test.project.sourceDirectory("api")
        // vim: probe file, backup by rename, write anew, drop the backup.
        try FilePath.write("", to: src + "/4913")
        unlink(src + "/4913")
        rename(sourcePath, sourcePath + "~")
        try FilePath.write(Self.source("vim"), to: sourcePath)
        unlink(sourcePath + "~")
        #expect(try await waitForBody("/api", "vim") == "vim")
        try await Task.sleep(for: .milliseconds(400))
        #expect(builtLines("api") == 1)  // v2, for the save (v1 is in the start-up summary)
        #expect(try endpoint("api")?["version"] == 2)

        // JetBrains safe write: temp file, old renamed aside, temp renamed over, old deleted.
        try FilePath.write(Self.source("idea"), to: sourcePath + "___jb_tmp___")
        rename(sourcePath, sourcePath + "___jb_old___")
        rename(sourcePath + "___jb_tmp___", sourcePath)
        unlink(sourcePath + "___jb_old___")
        #expect(try await waitForBody("/api", "idea") == "idea")
        try await Task.sleep(for: .milliseconds(400))
        #expect(builtLines("api") == 2)
        #expect(try endpoint("api")?["version"] == 3)
    }

    @Test func fiftyRapidSavesEndWithTheLastContentServed() async throws {
        for n in 1...50 {
            try FilePath.write(Self.source("save \(n)"), to: sourcePath)
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...15)))
        }
        #expect(try await waitForBody("/api", "save 50") == "save 50")
        try await Task.sleep(for: .milliseconds(500))
        #expect(try serve.request("GET", "/api").text == "save 50")
    }

    @Test func endpointsAppearAndDisappearWithTheirFolders() async throws {
        let fresh = test.project.endpointDirectory("fresh")
        try FilePath.createDirectories(fresh + "/src")
        try FilePath.write(#"{"method": "GET", "path": "/fresh/{name}"}"#, to: fresh + "/endpoint.json")
        try FilePath.write(
            "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) throws -> Response { .text(\"hi \\(try req.param(\"name\", as: String.self))\") }\n",
            to: fresh + "/src/handler.swift")
        #expect(try await waitForBody("/fresh/ann", "hi ann") == "hi ann")

        // endpoint.json re-routes without a rebuild.
        try FilePath.write(#"{"method": "GET", "path": "/hi/{name}"}"#, to: fresh + "/endpoint.json")
        #expect(try await waitForBody("/hi/bo", "hi bo") == "hi bo")
        #expect(try serve.request("GET", "/fresh/ann").status == 404)
        #expect(builtLines("fresh") == 1)

        FilePath.removeTree(test.project.endpointDirectory("api"))
        let deadline = ContinuousClock.now + .seconds(10)
        var code = 0
        while ContinuousClock.now < deadline {
            code = try serve.request("GET", "/api").status
            if code == 404 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(code == 404)
        #expect(try endpoint("api") == nil)
    }

    @Test func aNewSubfolderUnderSrcIsPickedUp() async throws {
        try FilePath.write(
            "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(extra()) }\n",
            to: sourcePath)
        try await serve.waitFor("api: build failed")
        let more = test.project.sourceDirectory("api") + "/more/deeper"
        try FilePath.createDirectories(more)
        try FilePath.write("func extra() -> String { \"from a subfolder\" }\n", to: more + "/Extra.swift")
        #expect(try await waitForBody("/api", "from a subfolder") == "from a subfolder")
    }

    /// The requests take 3 s: longer than a rebuild on a loaded machine, so they are still in
    /// flight at the swap (at 800 ms, a slow build once swapped after they had all finished).
    @Test func requestsInFlightDuringASwapAllSucceed() async throws {
        let port = serve.port
        let slow = (0..<6).map { _ in
            Task {
                try await onThread { () -> (Int, String) in
                    let client = try RawHTTPClient(port: port)
                    try client.send("GET /slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n")
                    let reply = try client.read()
                    return (reply.status, reply.text)
                }
            }
        }
        try await Task.sleep(for: .milliseconds(150))
        let slowSource = test.project.sourceDirectory("slow") + "/handler.swift"
        try FilePath.write(try FilePath.readText(slowSource) + "\n// v2\n", to: slowSource)
        try await serve.waitFor("slow: v2 built in")
        #expect(try serve.request("GET", "/slow?ms=0").text.contains(#""version":2"#))
        for task in slow {
            let (status, body) = try await task.value
            #expect(status == 200)
            #expect(body.contains(#""version":1"#))
        }
        try await serve.waitFor("slow: v1 retired (drained)")
    }

    @Test func anEndpointWithNoWorkingVersionAnswersItsCompileErrors() async throws {
        let broken = test.project.endpointDirectory("broken")
        try FilePath.createDirectories(broken + "/src")
        try FilePath.write(
            "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response {\n    .text(nope)\n}\n",
            to: broken + "/src/handler.swift")
        try await serve.waitFor("broken: build failed")
        let json = try serve.request("GET", "/broken")
        #expect(json.status == 500)
        let document = try JSONValue.parse(json.text)
        #expect(document["error"] == "build_failed")
        guard case .array(let diagnostics) = document["diagnostics"] else {
            Issue.record("no diagnostics")
            return
        }
        #expect(diagnostics.first?["line"] == 3)

        let client = try RawHTTPClient(port: serve.port)
        try client.send("GET /broken HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n")
        let page = try client.read()
        #expect(page.status == 500)
        #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.text.contains("handlers/broken/src/handler.swift:3:11"))
        #expect(page.text.contains("3 |     .text(nope)"))
        #expect(try endpoint("broken")?["state"] == "error")
    }

    /// Data goes only on purpose: an endpoint folder moved away and back (a branch switch, say)
    /// finds its `ctx.state` as it was (`edge-dev state reset` removes it).
    @Test func removingAnEndpointKeepsItsStateOnDisk() async throws {
        #expect(try serve.request("POST", "/todos", body: #"{"title": "milk"}"#).status == 201)
        let folder = test.project.endpointDirectory("todos")
        let aside = FilePath.join(test.project.rootDirectory, "todos-aside")
        rename(folder, aside)
        #expect(await eventually { (try? serve.request("GET", "/todos").status) == 404 })
        rename(aside, folder)
        #expect(await eventually(timeout: .seconds(30)) { (try? serve.request("GET", "/todos").status) == 200 })
        #expect(try serve.request("GET", "/todos").text.contains("milk"))
    }

    @Test func todosCreatedBeforeASaveAreListedAfterIt() async throws {
        for title in ["milk", "bread"] {
            #expect(try serve.request("POST", "/todos", body: #"{"title": "\#(title)"}"#).status == 201)
        }
        let handler = test.project.sourceDirectory("todos") + "/handler.swift"
        let source = try FilePath.readText(handler)
        try FilePath.write(source + "\n// saved once more\n", to: handler)
        try await serve.waitFor("todos: v2 built in")
        let list = try JSONValue.parse(try serve.request("GET", "/todos").text)
        #expect(list[0]?["title"] == "milk")
        #expect(list[1]?["title"] == "bread")
        #expect(try endpoint("todos")?["version"] == 2)
        // A new todo after the swap continues the numbering.
        let third = try JSONValue.parse(try serve.request("POST", "/todos", body: #"{"title": "tea"}"#).text)
        #expect(third["id"] == 3)
    }
}

@Suite(.onOwnThreads, .serialized) struct StartupTests {
    @Test func aRequestDuringTheFirstBuildWaitsForIt() async throws {
        let test = try TestProject(samples: ["todos", "echo", "slow", "hello"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let line = try await serve.waitFor("listening on http://")
        let port = Int(line.split(separator: ":").last ?? "") ?? 0
        let client = try RawHTTPClient(port: port, timeoutSeconds: 60)
        try client.send("GET /todos HTTP/1.1\r\nHost: x\r\n\r\n")
        let reply = try client.read()
        #expect(reply.status == 200)
        #expect(reply.text == "[]")
    }

    @Test func noWatchServesWithoutWatching() async throws {
        let test = try TestProject(samples: ["hello"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--no-watch"])
        _ = try await serve.waitUntilReady()
        try test.write("hello", "import EdgeSDK\nfunc handle(_ req: Request) -> Response { .text(\"changed\") }\n")
        try await Task.sleep(for: .milliseconds(800))
        #expect(try serve.request("GET", "/hello").text == "Hello from edge-dev!\n")
    }
}
