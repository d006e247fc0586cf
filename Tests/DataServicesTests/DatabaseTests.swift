import DataServices
import EdgeSDK
import EdgeSystem
import EdgeTestSupport
import Glibc
import Synchronization
import Testing

/// The database service on the real SQLite library, through the SDK's own API.
@Suite(.onOwnThreads) struct DatabaseTests {
    final class Scratch: Sendable {
        let test: TestProject
        let services: ProjectServices

        init() throws {
            test = try TestProject()
            let project = test.project
            services = ProjectServices(
                dataDirectory: FilePath.join(project.edgeDirectory, "data"),
                handlersDirectory: project.handlersDirectory,
                display: { project.displayPath($0) })
        }

        func context(_ request: String = "r1") -> Context {
            Context(endpointID: "t", version: 1, requestID: request, services: services)
        }

        func migration(_ database: String, _ file: String, _ sql: String) throws {
            let folder = FilePath.join(FilePath.join(test.project.handlersDirectory, "_migrations"), database)
            try FilePath.createDirectories(folder)
            try FilePath.write(sql, to: FilePath.join(folder, file))
        }
    }

    struct Note: Codable, Equatable {
        var id: Int
        var title: String
        var done: Bool
        var score: Double?
        var payload: [UInt8]?
    }

    @Test func rowsAreBoundAndDecodedByColumnName() throws {
        let scratch = try Scratch()
        let db = scratch.context().database("main")
        try db.execute(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL, score REAL, payload BLOB)"
        )
        let title = "milk; DROP TABLE notes; --"
        #expect(
            try db.execute(
                "INSERT INTO notes (title, done, score, payload) VALUES (?, ?, ?, ?)",
                [title, true, 2.5, [1, 2, 3] as [UInt8]]) == 1)
        #expect(
            try db.execute(
                "INSERT INTO notes (title, done, score, payload) VALUES (?, ?, ?, ?)", ["eggs", false, nil, nil]) == 1)
        let all = try db.query("SELECT id, title, done, score, payload FROM notes ORDER BY id", as: Note.self)
        #expect(
            all == [
                Note(id: 1, title: title, done: true, score: 2.5, payload: [1, 2, 3]),
                Note(id: 2, title: "eggs", done: false, score: nil, payload: nil),
            ])
        #expect(try db.queryOne("SELECT id, title, done FROM notes WHERE id = ?", [2], as: Note.self)?.title == "eggs")
        #expect(try db.queryOne("SELECT id, title, done FROM notes WHERE id = ?", [42], as: Note.self) == nil)
        #expect(try db.query("SELECT count(*) FROM notes", as: Int.self) == [2])
    }

    @Test func errorsNameTheStatementAndSQLitesMessage() throws {
        let scratch = try Scratch()
        let db = scratch.context().database("main")
        #expect {
            try db.execute("INSERT INTO missing (x) VALUES (?)", [1])
        } throws: { error in
            "\(error)".contains("no such table: missing") && "\(error)".contains("INSERT INTO missing")
        }
        try db.execute("CREATE TABLE t (x INTEGER NOT NULL UNIQUE)")
        try db.execute("INSERT INTO t VALUES (?)", [1])
        #expect {
            try db.execute("INSERT INTO t VALUES (?)", [1])
        } throws: { error in
            (error as? DatabaseError)?.isConstraintViolation == true
        }
        #expect {
            try db.execute("INSERT INTO t VALUES (?)", [1, 2])
        } throws: { error in
            "\(error)".contains("the statement has 1 parameter, 2 were given")
        }
        #expect {
            try db.execute("INSERT INTO t VALUES (5); DROP TABLE t")
        } throws: { error in
            "\(error)".contains("more than one statement")
        }
        #expect {
            try db.query("SELECT x FROM t", as: Note.self)
        } throws: { error in
            "\(error)".contains("no column 'id'")
        }
        #expect(ctxName("../etc").contains("a database name is"))
    }

    private func ctxName(_ name: String) -> String {
        let scratch = try! Scratch()
        do {
            try scratch.context().database(name).execute("SELECT 1")
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func aTransactionCommitsOrRollsBackWhole() throws {
        let scratch = try Scratch()
        let db = scratch.context().database("main")
        try db.execute("CREATE TABLE t (x INTEGER)")
        try db.transaction { tx in
            try tx.execute("INSERT INTO t VALUES (1)")
            try tx.execute("INSERT INTO t VALUES (2)")
        }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (3)")
                throw Stop()
            }
        }
        #expect(try db.query("SELECT x FROM t ORDER BY x", as: Int.self) == [1, 2])
    }

    /// SQLite can end a transaction by itself (here ON CONFLICT ROLLBACK): what follows must
    /// not commit statement by statement.
    @Test func aTransactionSQLiteEndedRunsNothingMore() throws {
        let scratch = try Scratch()
        let db = scratch.context().database("main")
        try db.execute("CREATE TABLE t (x INTEGER UNIQUE ON CONFLICT ROLLBACK)")
        try db.execute("INSERT INTO t VALUES (1)")
        #expect(throws: (any Error).self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (2)")
                _ = try? tx.execute("INSERT INTO t VALUES (1)")  // rolls the transaction back; caught
                try tx.execute("INSERT INTO t VALUES (3)")  // must not commit on its own
            }
        }
        #expect(try db.query("SELECT x FROM t ORDER BY x", as: Int.self) == [1])
    }

    /// A reset empties the database in place: a handle taken before it writes into the new one.
    @Test func aResetEmptiesTheDatabaseInPlace() throws {
        let scratch = try Scratch()
        try scratch.migration("main", "001_t.sql", "CREATE TABLE t (x INTEGER);\n")
        scratch.services.migrate()
        let held = scratch.context().database("main")
        try held.execute("INSERT INTO t VALUES (1)")
        let outcome = try #require(scratch.services.resetDatabase("main"))
        #expect(outcome.applied == ["001_t"] && outcome.failure == nil)
        try held.execute("INSERT INTO t VALUES (2)")
        #expect(try scratch.context("other").database("main").query("SELECT x FROM t", as: Int.self) == [2])
    }

    /// A request that trapped inside `transaction` never commits or rolls back: the host
    /// reclaims its connection, the write lock is free, and its rows are gone.
    @Test func aTransactionLeftByATrappedRequestIsRolledBack() throws {
        let scratch = try Scratch()
        let setup = scratch.context().database("main")
        try setup.execute("CREATE TABLE t (x INTEGER)")
        let backend = scratch.services.database("main")
        let abandoned = try backend.begin(owner: "trapped")
        _ = try abandoned.execute("INSERT INTO t VALUES (?)", [.integer(99)])
        scratch.services.reclaim(owner: "trapped")
        try scratch.context("next").database("main").execute("INSERT INTO t VALUES (1)")
        #expect(try setup.query("SELECT x FROM t", as: Int.self) == [1])
    }

    /// Eight threads writing at once: every write lands, none sees "database is locked".
    @Test func concurrentWritersAllSucceed() async throws {
        let scratch = try Scratch()
        try scratch.context().database("main").execute("CREATE TABLE t (thread INTEGER, n INTEGER)")
        let failures = LockedList()
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<8 {
                group.addTask {
                    _ = try? await onThread {
                        let db = scratch.context("w\(thread)").database("main")
                        for n in 0..<100 {
                            do {
                                if n % 10 == 0 {
                                    _ = try db.transaction { tx in
                                        try tx.execute("INSERT INTO t VALUES (?, ?)", [thread, n])
                                    }
                                } else {
                                    try db.execute("INSERT INTO t VALUES (?, ?)", [thread, n])
                                }
                            } catch {
                                failures.append("\(error)")
                            }
                        }
                    }
                }
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.prefix(3))")
        #expect(try scratch.context().database("main").query("SELECT count(*) FROM t", as: Int.self) == [800])
    }

    @Test func migrationsApplyInOrderOnceAndReportFailuresWithTheirFile() throws {
        let scratch = try Scratch()
        try scratch.migration("main", "002_more.sql", "ALTER TABLE notes ADD COLUMN done INTEGER NOT NULL DEFAULT 0;\n")
        try scratch.migration("main", "001_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT);\n")
        var outcome = try #require(scratch.services.migrate()["main"])
        #expect(outcome.applied == ["001_notes", "002_more"] && outcome.failure == nil)
        #expect(try #require(scratch.services.migrate()["main"]).applied.isEmpty)

        // A failing migration: reported with its file and line, and nothing of it applied.
        try scratch.migration(
            "main", "003_bad.sql", "CREATE TABLE tags (id INTEGER);\n\nINSERT INTO nowhere VALUES (1);\n")
        outcome = try #require(scratch.services.migrate()["main"])
        let failure = try #require(outcome.failure)
        #expect(failure.file.hasSuffix("handlers/_migrations/main/003_bad.sql"), "\(failure)")
        #expect(failure.message.contains("no such table: nowhere"), "\(failure)")
        #expect(failure.line == 3, "\(failure)")
        let db = scratch.context().database("main")
        #expect(try db.query("SELECT count(*) FROM sqlite_master WHERE name = 'tags'", as: Int.self) == [0])
        #expect(try db.query("SELECT max(number) FROM _edge_migrations", as: Int.self) == [2])  // stays at 002

        // An applied migration edited: named, and nothing else runs.
        FilePath.removeTree(FilePath.join(scratch.test.project.handlersDirectory, "_migrations/main/003_bad.sql"))
        try scratch.migration("main", "001_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n")
        outcome = try #require(scratch.services.migrate()["main"])
        #expect(outcome.failure?.message.contains("was applied and has been edited since") == true, "\(outcome)")
        #expect(outcome.failure?.file.hasSuffix("001_notes.sql") == true)
    }
}
