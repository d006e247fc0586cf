import EdgeSystem
import EdgeTestSupport
import Glibc
import Synchronization
import Testing

/// `ctx.database`, `ctx.cache` and durable `ctx.state` through the real `edge-dev serve`: real
/// SQLite files under `.edge/data`, real HTTP, real crashes and kills.
@Suite(.onOwnThreads) struct ServicesTests {
    /// A handler that traps inside a transaction when the body is "boom".
    static let trapInTransaction = """
        import EdgeSDK

        func handle(_ ctx: Context, _ req: Request) throws -> Response {
            let title = req.text
            try ctx.database("main").transaction { tx in
                try tx.execute("INSERT INTO notes (title) VALUES (?)", [title])
                if title == "boom" {
                    let missing: Int? = nil
                    _ = missing!
                }
            }
            return .text("ok")
        }

        """

    static func project(_ extra: [String] = []) throws -> TestProject {
        let test = try TestProject(samples: ["notes", "todos", "_migrations"] + extra)
        return test
    }

    static func titles(_ port: Int) throws -> [String] {
        let reply = try ServeProcess.get(port: port, "/notes")
        guard case .array(let notes) = try JSONValue.parse(reply.text) else { return [] }
        return notes.compactMap { if case .string(let title)? = $0["title"] { title } else { nil } }
    }

    @Test func concurrentWritesAndATrapInATransaction() async throws {
        let test = try Self.project()
        try test.write("txcrash", Self.trapInTransaction)
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await serve.waitUntilReady()

        // A trap mid-transaction: that request's 500, then the lock is free and its row gone.
        let crashed = try serve.request("POST", "/txcrash", body: "boom")
        #expect(crashed.status == 500, "\(crashed.text)")
        let next = try serve.request("POST", "/txcrash", body: "after")
        #expect(next.status == 200, "\(next.text)")
        #expect(try Self.titles(port) == ["after"])

        // Eight connections writing for 5 s: no "database is locked", and every 2xx is a row.
        let answered = AtomicCounter()
        let failures = LockedList()
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<8 {
                group.addTask {
                    _ = try? await onThread {
                        // From when this client starts (a loaded run starts them late), and at
                        // least two writes each.
                        let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
                        var n = 0
                        while MonotonicClock.nanoseconds() < deadline || n < 2 {
                            n += 1
                            do {
                                let reply = try RawHTTPClient.request(
                                    port: port, "POST", "/notes", body: #"{"title": "c\#(client)-\#(n)"}"#)
                                if reply.status == 201 {
                                    answered.increment()
                                } else {
                                    failures.append("\(reply.status) \(reply.text)")
                                }
                            } catch {
                                failures.append("\(error)")
                            }
                        }
                    }
                }
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.count) failures, e.g. \(failures.items.prefix(3))")
        let rows = try Self.titles(port).filter { $0.hasPrefix("c") }.count
        let answers = answered.value
        // Every write is synced to disk: a loaded CI machine manages few in 5 s, but some.
        #expect(rows == answers && rows >= 8, "\(rows) rows for \(answers) answers")

        // A save of the handler: the rows are the database's, not the build's.
        let handler = FilePath.join(test.project.sourceDirectory("notes"), "handler.swift")
        try FilePath.write(try FilePath.readText(handler) + "\n// saved\n", to: handler)
        try await serve.waitFor("notes: v2")
        #expect(try Self.titles(port).filter { $0.hasPrefix("c") }.count == rows)

        // A new migration while serving: applied at once, after the first.
        let migrations = FilePath.join(test.project.handlersDirectory, "_migrations/main")
        try FilePath.write("ALTER TABLE notes ADD COLUMN tag TEXT;\n", to: FilePath.join(migrations, "002_tags.sql"))
        try await serve.waitFor("database main: applied 002_tags")
        // A broken one: reported with its file and line; the database stays at 002.
        try FilePath.write("\nSELECT * FROM nowhere;\n", to: FilePath.join(migrations, "003_broken.sql"))
        let line = try await serve.waitFor("003_broken.sql:2: error: no such table: nowhere")
        #expect(line.contains("handlers/_migrations/main/003_broken.sql"), "\(line)")
        let data = try JSONValue.parse(try serve.request("GET", "/_edge/data").text)
        #expect(data["databases"]?[0]?["migrationsApplied"] == 2, "stays at 002")
    }

    /// The API exactly as the issue writes it compiles and runs in a handler.
    @Test func theDocumentedNamesCompileAndRun() async throws {
        let test = try Self.project()
        try test.write(
            "names",
            #"""
            import EdgeSDK

            struct Note: Codable { var id: Int; var title: String }

            func handle(_ ctx: Context, _ req: Request) throws -> Response {
                let db = ctx.database("main")
                let title = "milk"
                let changes: Int = try db.execute("INSERT INTO notes(title) VALUES (?)", ["milk"])
                try db.execute("INSERT INTO notes(title) VALUES (?)", [title])
                let all: [Note] = try db.query("SELECT id, title FROM notes ORDER BY id", as: Note.self)
                let one: Note? = try db.queryOne("SELECT id, title FROM notes WHERE id = ?", [42], as: Note.self)
                try db.transaction { tx in _ = try tx.execute("DELETE FROM notes WHERE id = ?", [1]) }
                let cache = ctx.cache("views")
                try cache.set("k", "v", ttl: .seconds(30)); let v: String? = try cache.get("k", as: String.self)
                let n: Int = try cache.increment("hits")
                let blobs = ctx.storage("uploads")
                try blobs.put("a/b.txt", Array("hi".utf8), contentType: "text/plain")
                let object = try blobs.get("a/b.txt")
                let keys: [String] = try blobs.list(prefix: "a/")
                let bytes: [UInt8] = Array("x".utf8)
                _ = try db.rows("SELECT ?, ?, ?, ?, ?, ?", [title, 3, 2.5, true, bytes, nil])
                let left = try db.query("SELECT id, title FROM notes", as: Note.self).count
                let shown = String(decoding: object?.bytes ?? [], as: UTF8.self)
                return .text("\(changes) \(all.count) \(one == nil) \(left) \(v ?? "-") \(n) \(shown) \(object?.contentType ?? "-") \(keys)")
            }

            """#)
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        _ = try await serve.waitUntilReady()
        let reply = try serve.request("GET", "/names")
        #expect(reply.text == #"1 2 true 1 v 1 hi text/plain ["a/b.txt"]"#, "\(reply.text)")
    }

    @Test func answeredWritesSurviveAKilledGatewayAndARestart() async throws {
        let test = try Self.project()
        var serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await serve.waitUntilReady()
        let todo = try serve.request("POST", "/todos", body: #"{"title": "kept"}"#)
        #expect(todo.status == 201, "\(todo.text)")

        // Writes in flight while the gateway is killed: each one answered 2xx is there after.
        let kept = LockedList()
        let writer = Task {
            try await onThread {
                for n in 0..<400 {
                    usleep(2_000)
                    guard
                        let reply = try? RawHTTPClient.request(
                            port: port, "POST", "/notes", body: #"{"title": "n\#(n)"}"#)
                    else { continue }
                    if reply.status == 201 { kept.append("n\(n)") }
                }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let gateway = try #require(serve.gatewayPID())
        kill(gateway, SIGKILL)
        try await writer.value
        try await serve.waitFor("restarting it on the same socket")
        let restarted = await eventually(timeout: .seconds(60)) {
            serve.log.components(separatedBy: "\nready:").count >= 3
        }
        try #require(restarted, "the gateway did not come back: \(serve.log.suffix(2000))")
        let stored = Set(try Self.titles(port))
        #expect(Set(kept.items).isSubset(of: stored), "\(Set(kept.items).subtracting(stored).prefix(5)) lost")
        #expect(!kept.items.isEmpty)
        #expect(try serve.request("GET", "/todos").text.contains("kept"))

        // SIGTERM, then a new serve on the same project: everything is still there.
        #expect(try await serve.terminate() == 0)
        serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let again = try await serve.waitUntilReady()
        #expect(Set(kept.items).isSubset(of: Set(try Self.titles(again))))
        #expect(try serve.request("GET", "/todos").text.contains("kept"))
        // The migration ran once: the second start applied nothing.
        #expect(!serve.log.contains("applied 001_notes"), "\(serve.log)")
    }
}
