import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

/// The request journal, replay and examples through the real `edge-dev serve`.
@Suite(.onOwnThreads) struct JournalTests {
    static func requests(_ serve: ServeProcess, _ query: String = "") throws -> [JSONValue] {
        let document = try JSONValue.parse(try serve.request("GET", "/_edge/requests\(query)").text)
        guard case .array(let list)? = document["requests"] else { return [] }
        return list
    }

    static func helloV(_ text: String) -> String {
        "import EdgeSDK\nfunc handle(_ req: Request) -> Response { .text(\"\(text)\") }\n"
    }

    @Test func recordsEveryConnectionsRequestsWithTheirVersionAndMasksSecrets() async throws {
        let test = try TestProject(samples: ["hello", "echo"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await serve.waitUntilReady()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    _ = try? await onThread { for _ in 0..<10 { _ = try ServeProcess.get(port: port, "/hello") } }
                }
            }
        }
        try test.write("hello", Self.helloV("v2"))
        try await serve.waitFor("hello: v2 built")
        #expect(await eventually { (try? serve.request("GET", "/hello").text) == "v2" })
        let hello = try Self.requests(serve, "?endpoint=hello&limit=1000")
        #expect(hello.filter { $0["version"] == 1 }.count == 40, "\(hello.count)")
        #expect(hello.first?["version"] == 2 && hello.first?["status"] == 200)
        let ids = hello.compactMap { if case .number(let n)? = $0["id"] { Int(n) } else { nil } }
        #expect(ids == ids.sorted(by: >), "newest first")

        let secret = try serve.request(
            "POST", "/echo", headers: ["Authorization: Bearer s3cret", "Cookie: a=b"], body: "payload")
        #expect(secret.status == 200)
        let latest = try #require(try Self.requests(serve, "?endpoint=echo").first)
        guard case .number(let id)? = latest["id"] else { throw JSONRPCPeer.Failure(description: "no id") }
        let detail = try serve.request("GET", "/_edge/requests/\(Int(id))").text
        let parsed = try JSONValue.parse(detail)
        guard case .array(let headers)? = parsed["headers"] else {
            throw JSONRPCPeer.Failure(description: "no headers")
        }
        #expect(headers.contains { $0["name"] == "Authorization" && $0["value"] == "••••" })
        #expect(headers.contains { $0["name"] == "Cookie" && $0["value"] == "••••" })
        #expect(parsed["body"]?["text"] == "payload")
        #expect(try Self.requests(serve, "?status=404").isEmpty)
    }

    @Test func theRingStaysWithinItsBoundsAndNotesTruncation() async throws {
        let test = try TestProject(samples: ["hello", "echo"])
        let serve = try ServeProcess(
            handlers: test.project.handlersDirectory, arguments: ["--journal-entries", "100", "--no-access-log"])
        let port = try await serve.waitUntilReady()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    _ = try? await onThread {
                        let client = try RawHTTPClient(port: port)
                        for _ in 0..<2500 {
                            try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                            _ = try client.read()
                        }
                    }
                }
            }
        }
        let document = try JSONValue.parse(try serve.request("GET", "/_edge/requests?limit=1000").text)
        #expect(document["journal"]?["entries"] == 100)
        guard case .array(let list)? = document["requests"] else { throw JSONRPCPeer.Failure(description: "no list") }
        #expect(list.count == 100)
        #expect(list.first?["id"] == 10_000, "\(String(describing: list.first?["id"]))")

        let big = String(repeating: "x", count: 100 * 1024)
        #expect(try serve.request("POST", "/echo", body: big).status == 200)
        let last = try #require(try Self.requests(serve, "?endpoint=echo").first)
        guard case .number(let id)? = last["id"] else { throw JSONRPCPeer.Failure(description: "no id") }
        let detail = try JSONValue.parse(try serve.request("GET", "/_edge/requests/\(Int(id))").text)
        #expect(detail["body"]?["truncated"] == .bool(true) && detail["body"]?["size"] == 102_400)
        if case .string(let kept)? = detail["body"]?["text"] { #expect(kept.utf8.count == 64 * 1024) }
        #expect(try serve.request("GET", "/_edge/requests/1").status == 404, "dropped from the ring")
    }

    @Test func replayGoesToTheCurrentOrAnyKeptVersion() async throws {
        let test = try TestProject(samples: ["hello"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--kept-versions", "2"])
        _ = try await serve.waitUntilReady()
        try test.write("hello", Self.helloV("one"))
        try await serve.waitFor("hello: v2 built")
        #expect(await eventually { (try? serve.request("GET", "/hello").text) == "one" })
        let recorded = try #require(try Self.requests(serve, "?endpoint=hello").first)
        guard case .number(let number)? = recorded["id"] else { throw JSONRPCPeer.Failure(description: "no id") }
        let id = Int(number)
        try test.write("hello", Self.helloV("two"))
        try await serve.waitFor("hello: v3 built")

        func replay(_ body: String) throws -> (Int, JSONValue) {
            let reply = try serve.request(
                "POST", "/_edge/requests/\(id)/replay", headers: ["Content-Type: application/json"], body: body)
            return (reply.status, try JSONValue.parse(reply.text))
        }
        let (status, current) = try replay("")
        #expect(status == 200)
        #expect(current["replayed"]?["version"] == 3 && current["replayed"]?["body"] == "two")
        #expect(current["original"]?["version"] == 2 && current["original"]?["body"] == "one")
        #expect(current["diff"]?["same"] == .bool(false))
        let (_, old) = try replay(#"{"version": 2}"#)
        #expect(old["replayed"]?["body"] == "one" && old["diff"]?["same"] == .bool(true))
        // Two kept: v1 is gone, and the refusal says which are kept.
        let (refused, why) = try replay(#"{"version": 1}"#)
        #expect(refused == 404)
        #expect(why["message"] == "version 1 of hello is not kept; kept: v2, v3", "\(why)")

        // Save as example: a .hurl file of the request with its status and body, which passes
        // against the version that gave that answer and runs with edge-dev test.
        let saved = try serve.request(
            "POST", "/_edge/requests/\(id)/example", headers: ["Content-Type: application/json"], body: "{}")
        #expect(saved.status == 200, "\(saved.text)")
        let savedPath = FilePath.join(test.project.endpointDirectory("hello"), "examples/get-hello-\(id).hurl")
        let hurl = try FilePath.readText(savedPath)
        #expect(hurl.contains("GET /hello\nHTTP 200\n[Asserts]\nbody == \"one\""), "\(hurl)")
        #expect(
            try serve.request("POST", "/_edge/requests/\(id)/example", body: "{}").status == 400,
            "a POST that is not JSON is refused")

        // The command line, the same way.
        let cli = try runEdgeDev(
            ["replay", "\(id)", "--version", "3", "--handlers", test.project.handlersDirectory], in: test.root)
        #expect(
            cli.status == 3 && cli.output.contains("replayed v3: 200") && cli.output.contains("+ two"), "\(cli.output)")
    }

    @Test func examplesRunAfterEachSwapInAScratchNamespace() async throws {
        let test = try TestProject(samples: ["todos"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        _ = try await serve.waitUntilReady()
        try await serve.waitFor("todos v1: 2/2 examples pass")
        #expect(try serve.request("GET", "/todos").text == "[]", "the examples' todos are not the user's")
        #expect(try serve.request("POST", "/todos", body: #"{"title": "mine"}"#).status == 201)

        // A save: the examples run on the new version; a failing one names its file and line.
        let example = FilePath.join(test.project.endpointDirectory("todos"), "examples/create-and-read.hurl")
        try FilePath.write(try FilePath.readText(example).replacingFirst("HTTP 201", "HTTP 202"), to: example)
        let handler = FilePath.join(test.project.sourceDirectory("todos"), "handler.swift")
        try FilePath.write(try FilePath.readText(handler) + "\n// saved\n", to: handler)
        let failure = try await serve.waitFor("todos v2: 1/2 examples pass")
        #expect(
            failure.contains("handlers/todos/examples/create-and-read.hurl:5: expected status 202, got 201"),
            "\(failure)")
        let status = try JSONValue.parse(try serve.request("GET", "/_edge/status").text)
        guard case .array(let endpoints)? = status["endpoints"] else {
            throw JSONRPCPeer.Failure(description: "no endpoints")
        }
        let todos = endpoints.first { $0["id"] == "todos" }
        #expect(
            todos?["examples"]?["passed"] == 1 && todos?["examples"]?["total"] == 2
                && todos?["examples"]?["version"] == 2)

        // A failed build runs none.
        try FilePath.write("import EdgeSDK\nfunc handle(_ req: Request) -> Response { .text(nope) }\n", to: handler)
        try await serve.waitFor("error: cannot find 'nope' in scope")
        try await Task.sleep(for: .milliseconds(500))
        #expect(!serve.log.contains("todos v3:"), "\(serve.log.suffix(600))")
        let todosNow = try serve.request("GET", "/todos").text
        #expect(todosNow.contains("mine") && !todosNow.contains("buy milk"), "\(todosNow)")
    }

    @Test func edgeDevTestRunsEveryExampleOnceForCI() throws {
        let test = try TestProject(samples: ["hello", "echo", "todos"])
        let junit = FilePath.join(test.root, "report.xml")
        var run = try runEdgeDev(["test", "--junit", junit], in: test.root)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("4 passed, 0 failed"), "\(run.output)")
        #expect(run.output.contains("PASS handlers/todos/examples/create-and-read.hurl (3 requests"), "\(run.output)")
        var xml = try FilePath.readText(junit)
        #expect(xml.contains(#"tests="4" failures="0""#), "\(xml)")

        try FilePath.write(
            "GET /hello\nHTTP 418\n", to: FilePath.join(test.project.endpointDirectory("hello"), "examples/teapot.hurl")
        )
        run = try runEdgeDev(["test", "--junit", junit], in: test.root)
        #expect(run.status == 1)
        #expect(
            run.output.contains("FAIL handlers/hello/examples/teapot.hurl:2: expected status 418, got 200"),
            "\(run.output)")
        #expect(run.output.contains("4 passed, 1 failed"))
        xml = try FilePath.readText(junit)
        #expect(xml.contains(#"tests="5" failures="1""#) && xml.contains("<failure message="), "\(xml)")
    }
}
