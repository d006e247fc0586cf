import EdgeSDK
import EdgeSystem

/// `handlers/_migrations/<database>/NNN_name.sql`: each database's schema, as numbered SQL
/// scripts applied in order, each in its own transaction, and recorded (number, name, checksum)
/// in the database's `_edge_migrations` table.
///
/// A script that fails leaves the database at the migration before it (its transaction is
/// rolled back) and is reported like a compile error: the file, the line SQLite points at, and
/// its message. A script already applied that has been edited since is an error naming it:
/// migrations are history; add a new one, or start the database over (`edge-dev db reset NAME`).
public enum Migrations {
    /// One migration file.
    public struct File: Sendable, Equatable {
        public var number: Int
        public var name: String
        public var path: String
    }

    /// A migration that did not apply, with where and why.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var message: String
        public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): error: \(message)" }
    }

    /// What one run did.
    public struct Outcome: Sendable, Equatable {
        public var applied: [String] = []
        public var failure: Failure?
    }

    /// The migrations folder of database `name`.
    public static func directory(_ handlersDirectory: String, database name: String) -> String {
        FilePath.join(FilePath.join(handlersDirectory, "_migrations"), name)
    }

    /// The databases that have migrations.
    public static func databases(_ handlersDirectory: String) -> [String] {
        let root = FilePath.join(handlersDirectory, "_migrations")
        return FilePath.contents(of: root).filter {
            ProjectServices.isValidName($0) && FilePath.isDirectory(FilePath.join(root, $0))
        }.sorted()
    }

    /// The files in `directory`, by number; a `.sql` file not named `NNN_name.sql`, or two with
    /// one number, is a failure.
    public static func files(in directory: String, display: (String) -> String) -> Result<[File], Failure> {
        var files: [File] = []
        for entry in FilePath.contents(of: directory).sorted() where entry.hasSuffix(".sql") {
            let path = FilePath.join(directory, entry)
            let digits = entry.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let number = Int(digits), entry.dropFirst(digits.count).first == "_" else {
                return .failure(
                    Failure(
                        file: display(path), line: nil,
                        message: "a migration's name must be NNN_name.sql (a number, '_', a name): \(entry)"))
            }
            if let clash = files.first(where: { $0.number == number }) {
                return .failure(
                    Failure(
                        file: display(path), line: nil,
                        message: "migration number \(number) is also \(FilePath.lastComponent(clash.path))"))
            }
            files.append(File(number: number, name: String(entry.dropLast(4)), path: path))
        }
        return .success(files.sorted { $0.number < $1.number })
    }

    /// Applies the migrations of `directory` that `database` has not had yet, in order.
    public static func apply(_ directory: String, to database: SQLiteDatabase, display: (String) -> String)
        -> Outcome
    {
        var outcome = Outcome()
        let files: [File]
        switch Self.files(in: directory, display: display) {
        case .success(let found): files = found
        case .failure(let failure):
            outcome.failure = failure
            return outcome
        }
        do throws(DatabaseError) {
            try database.writing("apply the migrations") { connection throws(DatabaseError) in
                try connection.run(
                    "CREATE TABLE IF NOT EXISTS _edge_migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                        + "checksum TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (datetime('now')))")
                let applied = try connection.query("SELECT number, name, checksum FROM _edge_migrations", [])
                var recorded: [Int: (name: String, checksum: String)] = [:]
                for row in applied.rows {
                    guard case .integer(let number) = row[0], case .text(let name) = row[1],
                        case .text(let checksum) = row[2]
                    else { continue }
                    recorded[Int(number)] = (name, checksum)
                }
                for file in files {
                    guard let script = try? FilePath.readText(file.path) else {
                        outcome.failure = Failure(file: display(file.path), line: nil, message: "cannot read it")
                        return
                    }
                    let checksum = Self.checksum(script)
                    if let done = recorded[file.number] {
                        if done.checksum != checksum {
                            outcome.failure = Failure(
                                file: display(file.path), line: nil,
                                message: "migration \(file.number) was applied and has been edited since; add a new "
                                    + "migration instead, or start the database over with `edge-dev db reset "
                                    + "\(FilePath.lastComponent(directory))`")
                            return
                        }
                        continue
                    }
                    do throws(DatabaseError) {
                        // Foreign keys off for the script (a table rebuild drops its parent, which
                        // would cascade into its children), checked before the commit instead;
                        // the pragma is a no-op inside a transaction, so it goes first.
                        try connection.run("PRAGMA foreign_keys = OFF")
                        try connection.run("BEGIN IMMEDIATE")
                        // Read again under the write lock: another run may have applied it.
                        let done = try connection.query(
                            "SELECT count(*) FROM _edge_migrations WHERE number = ?", [.integer(Int64(file.number))])
                        if done.rows.first?.first != .integer(0) {
                            try connection.run("ROLLBACK")
                            try connection.run("PRAGMA foreign_keys = ON")
                            continue
                        }
                        try connection.run(script)
                        let violations = try connection.query("PRAGMA foreign_key_check", [])
                        if let first = violations.rows.first {
                            throw DatabaseError(
                                message: "the migration leaves \(violations.rows.count) row(s) breaking a foreign key "
                                    + "(first in table \(first.first.map { "\($0)" } ?? "?"))", statement: script,
                                code: 19)
                        }
                        _ = try connection.execute(
                            "INSERT INTO _edge_migrations (number, name, checksum) VALUES (?, ?, ?)",
                            [.integer(Int64(file.number)), .text(file.name), .text(checksum)])
                        try connection.run("COMMIT")
                        try connection.run("PRAGMA foreign_keys = ON")
                        outcome.applied.append(file.name)
                    } catch {
                        try? connection.run("ROLLBACK")
                        try? connection.run("PRAGMA foreign_keys = ON")
                        outcome.failure = Failure(
                            file: display(file.path), line: error.offset.map { Self.line(of: $0, in: script) },
                            message: error.message)
                        return
                    }
                }
            }
        } catch {
            outcome.failure = Failure(file: display(directory), line: nil, message: error.message)
        }
        return outcome
    }

    /// FNV-1a of the script's bytes, as hex: an edit is noticed, nothing more is asked of it.
    static func checksum(_ script: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in script.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The 1-based line of byte `offset` in `text`.
    static func line(of offset: Int, in text: String) -> Int {
        1 + text.utf8.prefix(offset).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}
