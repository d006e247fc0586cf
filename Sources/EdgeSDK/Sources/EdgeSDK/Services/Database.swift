/// `ctx.database(name)`: a SQLite database the host keeps in `.edge/data/<name>.sqlite`.
///
/// ```swift
/// struct Note: Codable { var id: Int; var title: String }
/// let db = ctx.database("main")
/// let changes = try db.execute("INSERT INTO notes(title) VALUES (?)", [title])
/// let all = try db.query("SELECT id, title FROM notes ORDER BY id", as: Note.self)
/// let one = try db.queryOne("SELECT id, title FROM notes WHERE id = ?", [42], as: Note.self)
/// try db.transaction { tx in _ = try tx.execute("DELETE FROM notes WHERE id = ?", [1]) }
/// ```
///
/// Parameters are always bound, never interpolated into the SQL. Rows decode into any
/// `Decodable` by column name. A failed statement throws `DatabaseError` with SQLite's message,
/// which becomes a 500 naming the statement unless the handler maps it.
public struct Database: Sendable {
    public let name: String
    let backend: any DatabaseBackend
    let owner: String

    init(name: String, backend: any DatabaseBackend, owner: String) {
        self.name = name
        self.backend = backend
        self.owner = owner
    }

    /// Runs one statement (INSERT, UPDATE, DELETE, CREATE...); the number of rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [(any SQLBindable)?] = []) throws(DatabaseError) -> Int {
        try backend.execute(sql, parameters.sqlValues, owner: owner)
    }

    /// The rows of a query, each decoded as `Row` by column name.
    public func query<Row: Decodable>(
        _ sql: String, _ parameters: [(any SQLBindable)?] = [], as type: Row.Type = Row.self
    ) throws -> [Row] {
        try RowDecoding.decode(type, try backend.query(sql, parameters.sqlValues, owner: owner), statement: sql)
    }

    /// The first row of a query, or nil when there is none.
    public func queryOne<Row: Decodable>(
        _ sql: String, _ parameters: [(any SQLBindable)?] = [], as type: Row.Type = Row.self
    ) throws -> Row? {
        var rows = try backend.query(sql, parameters.sqlValues, owner: owner)
        rows.rows = Array(rows.rows.prefix(1))
        return try RowDecoding.decode(type, rows, statement: sql).first
    }

    /// The rows as SQLite returned them.
    public func rows(_ sql: String, _ parameters: [(any SQLBindable)?] = []) throws(DatabaseError) -> SQLRows {
        try backend.query(sql, parameters.sqlValues, owner: owner)
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`): committed when it returns,
    /// rolled back when it throws. Use `tx`, not `self`, inside: another connection would wait
    /// for this transaction's lock. A handler that traps inside has it rolled back by the host.
    public func transaction<Result>(_ body: (DatabaseTransaction) throws -> Result) throws -> Result {
        let transaction = try backend.begin(owner: owner)
        let result: Result
        do {
            result = try body(DatabaseTransaction(backend: transaction))
        } catch {
            transaction.rollback()
            throw error
        }
        try transaction.commit()
        return result
    }
}

/// The statements of one `Database.transaction`.
public struct DatabaseTransaction: Sendable {
    let backend: any DatabaseTransactionBackend

    @discardableResult
    public func execute(_ sql: String, _ parameters: [(any SQLBindable)?] = []) throws(DatabaseError) -> Int {
        try backend.execute(sql, parameters.sqlValues)
    }

    public func query<Row: Decodable>(
        _ sql: String, _ parameters: [(any SQLBindable)?] = [], as type: Row.Type = Row.self
    ) throws -> [Row] {
        try RowDecoding.decode(type, try backend.query(sql, parameters.sqlValues), statement: sql)
    }

    public func queryOne<Row: Decodable>(
        _ sql: String, _ parameters: [(any SQLBindable)?] = [], as type: Row.Type = Row.self
    ) throws -> Row? {
        try query(sql, parameters, as: type).first
    }
}

extension Context {
    /// The SQLite database `name` (letters, digits, `-` and `_`), in `.edge/data/<name>.sqlite`;
    /// its migrations are `handlers/_migrations/<name>/NNN_name.sql`.
    public func database(_ name: String) -> Database {
        Database(name: name, backend: services.database(name), owner: requestID)
    }

    /// The key-value cache `name`.
    public func cache(_ name: String) -> Cache {
        Cache(name: name, backend: services.cache(name))
    }

    /// The blob store `name`, in `.edge/data/storage/<name>/`.
    public func storage(_ name: String) -> Storage {
        Storage(name: name, backend: services.storage(name))
    }
}
