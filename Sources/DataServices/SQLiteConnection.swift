import CSQLite
import EdgeSDK
import Synchronization

/// The system's SQLite library, opened once (`libsqlite3.so.0`, found at run time: building
/// edge-dev needs no SQLite headers).
public enum SQLiteLibrary {
    /// nil when loaded, else why not.
    public static let loadError: String? = {
        var buffer = [CChar](repeating: 0, count: 512)
        guard edge_sqlite_load(&buffer, buffer.count) != 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            + "; install it with `apt-get install libsqlite3-0`"
    }()

    public static var version: String? {
        loadError == nil ? String(cString: edge_sqlite_libversion()) : nil
    }
}

/// One open SQLite connection, used by one thread at a time (a pool hands it out), with its
/// prepared statements kept for the SQL texts it has seen.
///
/// Every database is opened in WAL mode (readers never wait for the writer), with
/// `synchronous = FULL` (a committed transaction is on disk before the call returns: an answered
/// write survives a crash of the process or the machine), foreign keys on, and a 10 s busy
/// timeout for writers in other processes (this process's writers queue in `WriterQueue`).
final class SQLiteConnection: @unchecked Sendable {
    static let busyTimeoutMilliseconds: Int32 = 10_000
    /// Prepared statements kept per connection: preparing costs more than a small query.
    static let statementCacheSize = 64

    private let handle: OpaquePointer
    let path: String
    private var statements: [String: OpaquePointer] = [:]
    private var statementOrder: [String] = []

    init(path: String) throws(DatabaseError) {
        if let problem = SQLiteLibrary.loadError {
            throw DatabaseError(message: problem, statement: "open \(path)", code: 1)
        }
        var db: OpaquePointer?
        let flags = Int32(EDGE_SQLITE_OPEN_READWRITE | EDGE_SQLITE_OPEN_CREATE | EDGE_SQLITE_OPEN_FULLMUTEX)
        let status = path.withCString { edge_sqlite_open($0, &db, flags) }
        guard let db, status == EDGE_SQLITE_OK else {
            let message = db.map { String(cString: edge_sqlite_errmsg($0)) } ?? "out of memory"
            if let db { edge_sqlite_close(db) }
            throw DatabaseError(message: message, statement: "open \(path)", code: status)
        }
        handle = db
        self.path = path
        edge_sqlite_busy_timeout(db, Self.busyTimeoutMilliseconds)
        try run("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
    }

    deinit {
        for statement in statements.values { edge_sqlite_finalize(statement) }
        edge_sqlite_close(handle)
    }

    /// `"name"` with every `"` doubled, by UTF-8 byte (a `"` inside a grapheme cluster is still
    /// a quote to SQLite).
    static func quotedIdentifier(_ name: String) -> String {
        var bytes: [UInt8] = [0x22]
        for byte in name.utf8 {
            bytes.append(byte)
            if byte == 0x22 { bytes.append(0x22) }
        }
        bytes.append(0x22)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Drops every table, index, view and trigger (the migrations' record too) and compacts the
    /// file: the database as new, on the same file, so connections other requests hold see the
    /// reset instead of writing on into a deleted file.
    func dropEverything() throws(DatabaseError) {
        try run("PRAGMA foreign_keys = OFF")
        defer { try? run("PRAGMA foreign_keys = ON") }
        try run("BEGIN IMMEDIATE")
        do throws(DatabaseError) {
            let objects = try query(
                "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND type IN "
                    + "('view', 'trigger', 'table') ORDER BY CASE type WHEN 'view' THEN 0 WHEN 'trigger' THEN 1 ELSE 2 END",
                [])
            for row in objects.rows {
                guard case .text(let type) = row[0], case .text(let name) = row[1] else { continue }
                try run("DROP \(type.uppercased()) IF EXISTS \(Self.quotedIdentifier(name))")
            }
            try run("COMMIT")
        } catch {
            try? run("ROLLBACK")
            throw error
        }
        try run("VACUUM")
    }

    /// True inside a transaction (BEGIN without COMMIT or ROLLBACK yet).
    var inTransaction: Bool { edge_sqlite_get_autocommit(handle) == 0 }

    /// Runs a script of statements without parameters (migrations, pragmas).
    func run(_ script: String) throws(DatabaseError) {
        var remaining = Array(script.utf8)
        var consumed = 0
        while true {
            var statement: OpaquePointer?
            var tail: Int32 = 0
            let status = remaining.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) {
                    edge_sqlite_prepare(handle, $0.baseAddress, Int32($0.count), &statement, &tail)
                }
            }
            // Where this statement starts: SQLite often knows no finer place (3.40 gives no
            // offset for "no such table"), and the statement's first line is what to look at.
            let start = consumed + (remaining.firstIndex { ![0x20, 0x0A, 0x09, 0x0D].contains($0) } ?? 0)
            guard status == EDGE_SQLITE_OK else { throw error(script, offsetBase: consumed, fallback: start) }
            guard let statement else { return }  // only whitespace or comments were left
            defer { edge_sqlite_finalize(statement) }
            var step = edge_sqlite_step(statement)
            while step == EDGE_SQLITE_ROW { step = edge_sqlite_step(statement) }
            guard step == EDGE_SQLITE_DONE else { throw error(script, offsetBase: consumed, fallback: start) }
            consumed += Int(tail)
            remaining.removeFirst(Int(tail))
        }
    }

    /// Where a statement that writes waits for its turn: the database's writers in this process,
    /// and the request asking (see `WriterQueue`).
    struct WriterTurn {
        let queue: WriterQueue
        let owner: String
    }

    /// Runs one statement; the rows it changed. With `turn`, a statement that writes runs in
    /// its turn to write (outside a transaction, which holds its turn already).
    func execute(_ sql: String, _ parameters: [SQLValue], turn: WriterTurn? = nil) throws(DatabaseError) -> Int {
        try withStatement(sql, parameters, turn: turn) { statement throws(DatabaseError) in
            var step = edge_sqlite_step(statement)
            while step == EDGE_SQLITE_ROW { step = edge_sqlite_step(statement) }
            guard step == EDGE_SQLITE_DONE else { throw error(sql) }
            return Int(edge_sqlite_changes(handle))
        }
    }

    /// Runs one statement; its rows. `turn` as for `execute`.
    func query(_ sql: String, _ parameters: [SQLValue], turn: WriterTurn? = nil) throws(DatabaseError) -> SQLRows {
        try withStatement(sql, parameters, turn: turn) { statement throws(DatabaseError) in
            let count = edge_sqlite_column_count(statement)
            let columns = (0..<count).map { String(cString: edge_sqlite_column_name(statement, $0)) }
            var rows: [[SQLValue]] = []
            var step = edge_sqlite_step(statement)
            while step == EDGE_SQLITE_ROW {
                rows.append((0..<count).map { column(statement, $0) })
                step = edge_sqlite_step(statement)
            }
            guard step == EDGE_SQLITE_DONE else { throw error(sql) }
            return SQLRows(columns: columns, rows: rows)
        }
    }

    // MARK: - Statements

    /// Prepares (or finds) `sql`, binds `parameters` and runs `body`, in `turn` when the
    /// statement writes: read-only statements (`sqlite3_stmt_readonly`) never wait for writers.
    private func withStatement<T>(
        _ sql: String, _ parameters: [SQLValue], turn: WriterTurn?, _ body: (OpaquePointer) throws(DatabaseError) -> T
    ) throws(DatabaseError) -> T {
        let statement = try prepared(sql)
        defer { edge_sqlite_reset(statement) }
        let expected = Int(edge_sqlite_bind_parameter_count(statement))
        guard expected == parameters.count else {
            throw DatabaseError(
                message: "the statement has \(expected) parameter\(expected == 1 ? "" : "s"), "
                    + "\(parameters.count) \(parameters.count == 1 ? "was" : "were") given",
                statement: sql, code: 25)  // SQLITE_RANGE
        }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32 =
                switch value {
                case .null: edge_sqlite_bind_null(statement, index)
                case .integer(let number): edge_sqlite_bind_int64(statement, index, number)
                case .real(let number): edge_sqlite_bind_double(statement, index, number)
                case .text(let text):
                    // withCString, not withUTF8: an empty string must bind '' (a pointer), not NULL.
                    text.withCString { edge_sqlite_bind_text(statement, index, $0, Int32(text.utf8.count)) }
                case .blob(let bytes):
                    bytes.withUnsafeBytes { edge_sqlite_bind_blob(statement, index, $0.baseAddress, Int32($0.count)) }
                }
            guard status == EDGE_SQLITE_OK else { throw error(sql) }
        }
        guard let turn, edge_sqlite_stmt_readonly(statement) == 0 else { return try body(statement) }
        return try turn.queue.inTurn(owner: turn.owner, statement: sql) { () throws(DatabaseError) in
            try body(statement)
        }
    }

    private func prepared(_ sql: String) throws(DatabaseError) -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        var tail: Int32 = 0
        let bytes = Array(sql.utf8)
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                edge_sqlite_prepare(handle, $0.baseAddress, Int32($0.count), &statement, &tail)
            }
        }
        guard status == EDGE_SQLITE_OK, let statement else {
            if status == EDGE_SQLITE_OK {
                throw DatabaseError(message: "the SQL holds no statement", statement: sql, code: 21)
            }
            throw error(sql)
        }
        let rest = bytes[Int(tail)...].drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D || $0 == 0x3B }
        guard rest.isEmpty else {
            edge_sqlite_finalize(statement)
            throw DatabaseError(
                message: "more than one statement: run one at a time (a parameter binds one statement)",
                statement: sql, code: 21, offset: Int(tail))
        }
        if statements.count >= Self.statementCacheSize, let oldest = statementOrder.first {
            statementOrder.removeFirst()
            if let evicted = statements.removeValue(forKey: oldest) { edge_sqlite_finalize(evicted) }
        }
        statements[sql] = statement
        statementOrder.append(sql)
        return statement
    }

    private func column(_ statement: OpaquePointer, _ index: Int32) -> SQLValue {
        switch edge_sqlite_column_type(statement, index) {
        case Int32(EDGE_SQLITE_INTEGER): return .integer(edge_sqlite_column_int64(statement, index))
        case Int32(EDGE_SQLITE_FLOAT): return .real(edge_sqlite_column_double(statement, index))
        case Int32(EDGE_SQLITE_TEXT):
            guard let text = edge_sqlite_column_text(statement, index) else { return .text("") }
            let count = Int(edge_sqlite_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case Int32(EDGE_SQLITE_BLOB):
            let count = Int(edge_sqlite_column_bytes(statement, index))
            guard count > 0, let bytes = edge_sqlite_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    private func error(_ sql: String, offsetBase: Int = 0, fallback: Int? = nil) -> DatabaseError {
        let offset = edge_sqlite_error_offset(handle)
        return DatabaseError(
            message: String(cString: edge_sqlite_errmsg(handle)), statement: sql,
            code: edge_sqlite_extended_errcode(handle), offset: offset >= 0 ? offsetBase + Int(offset) : fallback)
    }
}
