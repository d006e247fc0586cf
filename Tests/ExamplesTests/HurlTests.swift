import EdgeHTTP
import EdgeSystem
import EdgeTestSupport
import Examples
import Glibc
import Testing

/// The Hurl subset: what parses, what is refused with its line, and runs against a real server.
@Suite(.onOwnThreads) struct HurlTests {
    @Test func everySupportedConstructParses() throws {
        let file = try HurlParser.parse(
            """
            # a comment
            POST /todos?x=1
            Content-Type: application/json
            {"title": "milk",
             "done": false}
            HTTP 201
            Location: /todos/1
            [Captures]
            id: jsonpath "$.id"
            where: header "Location"
            [Asserts]
            status == 201
            header "Content-Type" contains "json"
            body startsWith "{"
            jsonpath "$.title" == "milk"
            jsonpath "$.done" != true
            jsonpath "$.tags" exists
            jsonpath "$['title']" matches "^m"

            GET {{base}}/todos/{{id}}
            ```
            text body
            ```
            HTTP *
            """, path: "x.hurl")
        #expect(file.entries.count == 2)
        let first = try #require(file.entries.first)
        #expect(first.method == "POST" && first.url == "/todos?x=1" && first.status == 201 && first.statusLine == 6)
        #expect(first.body == "{\"title\": \"milk\",\n \"done\": false}")
        #expect(first.captures.map(\.name) == ["id", "where"])
        #expect(
            first.asserts.map(\.predicate) == [.equals, .contains, .startsWith, .equals, .notEquals, .exists, .matches])
        #expect(first.asserts.map(\.line) == [12, 13, 14, 15, 16, 17, 18])
        #expect(file.entries[1].status == nil && file.entries[1].body == "text body")
        let array = try HurlParser.parse("POST /a\n[1, 2]\nHTTP 200\n", path: "a.hurl")
        #expect(array.entries.first?.body == "[1, 2]", "a one-line JSON array is a body, not a section")
    }

    @Test func constructsOutsideTheSubsetNameTheirLine() {
        for (text, line, words) in [
            ("GET /a\nHTTP 200\n[QueryStringParams]\n", 3, "[QueryStringParams]"),
            ("GET /a\n[Options]\nHTTP 200\n", 2, "[Options]"),
            ("GET /a\nHTTP 200\n[Asserts]\nduration < 100\n", 4, "query 'duration'"),
            ("GET /a\nHTTP 200\n[Asserts]\nbody endsWith \"x\"\n", 4, "predicate 'endsWith'"),
            ("GET /a\nHTTP 200\n[Asserts]\njsonpath \"$..name\" exists\n", 4, "jsonpath"),
            ("GET /a\nHTTP 200\n[Asserts]\nbody not contains \"x\"\n", 4, "'not'"),
            ("FETCH /a\nHTTP 200\n", 1, "request line"),
            ("GET /a\n", 1, "no response line"),
            ("GET /a\nHTTP abc\n", 2, "not a status"),
            ("GET /a\nHTTP/1.1 200\n", 2, "HTTP/1.1"),
        ] {
            #expect(throws: HurlFile.SyntaxError.self) { try HurlParser.parse(text, path: "f.hurl") }
            do {
                _ = try HurlParser.parse(text, path: "f.hurl")
            } catch {
                #expect(error.line == line && error.description.contains(words), "\(error)")
            }
        }
    }

    /// Against a real listening server (a few fixed answers), captures carry over, every
    /// predicate is checked, and the first failure names its line.
    @Test func runsAgainstARealServer() throws {
        let test = try TestProject(samples: ["echo"])
        let serve = try ServeProcessOnThread.start(test)
        defer { serve.stop() }
        let passing = try HurlParser.parse(
            """
            POST /echo?tag=a
            X-Trace: t1
            `first`
            HTTP 200
            [Captures]
            method: jsonpath "$.method"
            [Asserts]
            jsonpath "$.query.tag[0]" == "a"
            jsonpath "$.headers['x-trace']" == "t1"
            jsonpath "$.body" startsWith "fi"
            jsonpath "$.body" matches "^f.*t$"
            body contains "first"
            header "Content-Type" == "application/json"
            status != 500

            PUT /echo
            `{{method}} again`
            HTTP 200
            [Asserts]
            jsonpath "$.body" == "POST again"
            """, path: "pass.hurl")
        let passed = ExampleRunner.run(passing, port: serve.port)
        #expect(passed.passed && passed.requests == 2, "\(passed)")

        let failing = try HurlParser.parse(
            "GET /echo\nHTTP 200\n[Asserts]\njsonpath \"$.method\" == \"GET\"\njsonpath \"$.method\" == \"POST\"\n",
            path: "fail.hurl")
        let failed = ExampleRunner.run(failing, port: serve.port)
        #expect(
            failed.failure?.hasPrefix("fail.hurl:5: assert failed: jsonpath \"$.method\" == \"POST\" (actual \"GET\")")
                == true, "\(failed)")

        let status = ExampleRunner.run(
            try HurlParser.parse("GET /nowhere\nHTTP 200\n", path: "s.hurl"), port: serve.port)
        #expect(status.failure?.hasPrefix("s.hurl:2: expected status 200, got 404") == true, "\(status)")

        let undefined = ExampleRunner.run(
            try HurlParser.parse("GET /echo/{{nope}}\nHTTP 200\n", path: "u.hurl"), port: serve.port)
        #expect(undefined.failure?.contains("undefined variable {{nope}}") == true, "\(undefined)")
    }
}

/// `edge-dev serve` on a project, started and stopped from a synchronous test.
struct NotReady: Error, CustomStringConvertible {
    var log: String
    var description: String { "serve did not become ready: \(log)" }
}

final class ServeProcessOnThread {
    let pid: pid_t
    let port: Int

    private init(pid: pid_t, port: Int) {
        self.pid = pid
        self.port = port
    }

    static func start(_ test: TestProject) throws -> ServeProcessOnThread {
        let log = FilePath.join(test.root, "serve.log")
        let pid = try spawnEdgeDev(
            ["serve", "--handlers", test.project.handlersDirectory, "--port", "0", "--no-restart"], output: log)
        var port = 0
        for _ in 0..<600 {
            let text = (try? FilePath.readText(log)) ?? ""
            if port == 0, let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://") })
            {
                port = Int(line.split(separator: ":").last ?? "") ?? 0
            }
            if port > 0, text.contains("\nready:") { return ServeProcessOnThread(pid: pid, port: port) }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        throw NotReady(log: (try? FilePath.readText(log)) ?? "")
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
