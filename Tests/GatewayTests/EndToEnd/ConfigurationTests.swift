import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

/// `.env`, `.env.local` and `endpoint.json` defaults through the real binary: applied with no
/// rebuild, a malformed file changes nothing, and values never leave the handler.
@Suite(.onOwnThreads, .serialized) struct ConfigurationTests {
    static let handler = """
        import EdgeSDK

        func handle(_ ctx: Context, _ req: Request) throws -> Response {
            if let key = req.query("require") { return .text(try ctx.env.require(key)) }
            if let key = req.query("key") { return .text(ctx.env[key] ?? "-") }
            return .text("\\(ctx.env["GREETING"] ?? "-") \\(ctx.env["MODE"] ?? "-") \\(ctx.env["SECRET"] ?? "-")")
        }
        """

    static func until(_ port: Int, _ text: String) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? ServeProcess.get(port: port, "/config").text) == text { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    @Test func dotEnvAppliesLiveAndKeepsItsValuesToItself() async throws {
        let test = try TestProject()
        try test.write("config", Self.handler)
        try FilePath.write(
            #"{"method": "GET", "path": "/config", "env": {"GREETING": "hi", "MODE": "default"}}"#,
            to: test.project.manifestPath("config"))
        let root = test.project.rootDirectory
        let serve = try ServeProcess(
            handlers: test.project.handlersDirectory, arguments: ["--no-access-log"],
            environment: ["NO_COLOR": "1", "LEAK_ME": "from the gateway's environment"])
        let port = try await serve.waitUntilReady()
        #expect(try ServeProcess.get(port: port, "/config").text == "hi default -")
        #expect(try ServeProcess.get(port: port, "/config?key=LEAK_ME").text == "-")
        let events = try EventStreamClient(port: port)
        _ = try events.next()  // the snapshot

        // .env over the endpoint's defaults, with no build in between.
        try FilePath.write("GREETING=hello-value\nSECRET=s3cr3t-value\n", to: FilePath.join(root, ".env"))
        #expect(try await Self.until(port, "hello-value default s3cr3t-value"))
        let line = try await serve.waitFor("configuration: .env applied")
        #expect(line.contains("added GREETING, SECRET"), "\(line)")
        let changed = try events.events { $0["type"] == "configuration-changed" }.last
        #expect(changed?["added"] == .array(["GREETING", "SECRET"]))

        // .env.local over .env.
        try FilePath.write("MODE=local-mode\n", to: FilePath.join(root, ".env.local"))
        #expect(try await Self.until(port, "hello-value local-mode s3cr3t-value"))

        // A malformed line changes nothing, and says where.
        try FilePath.write("GREETING=changed-value\nthis is not an assignment\n", to: FilePath.join(root, ".env"))
        let problem = try await serve.waitFor(".env:2: error: expected KEY=value")
        #expect(problem.contains("the previous configuration stays in force"))
        #expect(try ServeProcess.get(port: port, "/config").text == "hello-value local-mode s3cr3t-value")

        // A missing key names itself and where to set it.
        let missing = try ServeProcess.get(port: port, "/config?require=DATABASE_URL")
        #expect(missing.status == 500)
        #expect(missing.text.contains("missing configuration 'DATABASE_URL'"), "\(missing.text)")

        // The endpoint was never rebuilt, and no value reached the terminal, status or events.
        #expect(!serve.log.contains("config: v2"))
        let status = try ServeProcess.get(port: port, "/_edge/status").text
        #expect(status.contains("\"SECRET\""))
        for value in ["s3cr3t-value", "hello-value", "local-mode", "changed-value"] {
            #expect(!status.contains("\"\(value)\""), "\(value) in the status")
            #expect(!serve.log.contains(value), "\(value) in the log")
        }
        let later = try EventStreamClient(port: port)
        let snapshot = try later.next()
        #expect(!snapshot.serialized.contains("s3cr3t-value"))
        #expect(try await serve.terminate(SIGTERM) == 0)
    }
}
