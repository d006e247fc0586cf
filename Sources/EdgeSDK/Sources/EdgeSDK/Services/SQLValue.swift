/// One SQLite value: what a parameter binds and what a column holds.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift value that binds as a SQL parameter: `String`, the integer types, `Double`, `Bool`
/// (0 or 1), bytes (`[UInt8]`), and optionals of these (nil binds NULL). Parameter arrays are
/// `[(any SQLBindable)?]`, so literals, variables and `nil` mix: `[title, 42, nil]`.
public protocol SQLBindable: Sendable {
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
}

extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
}

extension Substring: SQLBindable {
    public var sqlValue: SQLValue { .text(String(self)) }
}

extension Int: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .integer(self) }
}

extension Int32: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension UInt32: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Double: SQLBindable {
    public var sqlValue: SQLValue { .real(self) }
}

extension Bool: SQLBindable {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
}

extension Array: SQLBindable where Element == UInt8 {
    public var sqlValue: SQLValue { .blob(self) }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension [(any SQLBindable)?] {
    var sqlValues: [SQLValue] { map { $0?.sqlValue ?? .null } }
}

/// Rows as SQLite returned them: column names, then each row's values in column order.
public struct SQLRows: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// A statement SQLite refused or failed: its message, the statement, and where SQLite says.
public struct DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// SQLite's message (`no such table: notes`).
    public var message: String
    /// The statement, as given.
    public var statement: String
    /// SQLite's extended result code (5 is SQLITE_BUSY, 19 and up SQLITE_CONSTRAINT_*).
    public var code: Int32
    /// The byte offset in `statement` that SQLite blames, when it says.
    public var offset: Int?

    public init(message: String, statement: String, code: Int32, offset: Int? = nil) {
        self.message = message
        self.statement = statement
        self.code = code
        self.offset = offset
    }

    /// True for a constraint failure (UNIQUE, NOT NULL, CHECK, FOREIGN KEY): usually the
    /// client's fault, worth a 409 or a 400 from the handler.
    public var isConstraintViolation: Bool { code & 0xFF == 19 }

    public var description: String {
        let shown = statement.count > 200 ? String(statement.prefix(200)) + "..." : statement
        return "SQLite: \(message) (in `\(shown)`)"
    }
}
