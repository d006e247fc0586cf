/// The host's services behind `ctx.database`, `ctx.cache` and `ctx.storage`. The host supplies
/// one; handlers never construct one. Every call names the request it works for (`owner`), so
/// that a request that traps in the middle of a transaction has its connection rolled back and
/// returned by the host.
public protocol ServiceProvider: Sendable {
    func database(_ name: String) -> any DatabaseBackend
    func cache(_ name: String) -> any CacheBackend
    func storage(_ name: String) -> any StorageBackend
}

/// One SQLite database, as the host runs it.
public protocol DatabaseBackend: Sendable {
    /// Runs one statement; the number of rows it changed.
    func execute(_ sql: String, _ parameters: [SQLValue], owner: String) throws(DatabaseError) -> Int
    /// Runs one statement; the rows it returned.
    func query(_ sql: String, _ parameters: [SQLValue], owner: String) throws(DatabaseError) -> SQLRows
    /// Begins a write transaction on a connection kept for `owner` until commit or rollback.
    func begin(owner: String) throws(DatabaseError) -> any DatabaseTransactionBackend
}

/// A transaction in progress on one connection.
public protocol DatabaseTransactionBackend: Sendable {
    func execute(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> Int
    func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> SQLRows
    func commit() throws(DatabaseError)
    func rollback()
}

/// A named key-value cache: values are encoded bytes (JSON), each with an optional expiry.
public protocol CacheBackend: Sendable {
    func get(_ key: String) throws(HandlerError) -> [UInt8]?
    func set(_ key: String, _ value: [UInt8], ttl: Duration?) throws(HandlerError)
    /// True when there was a value.
    func delete(_ key: String) throws(HandlerError) -> Bool
    /// Adds `amount` to the integer under `key` (0 when absent or expired) in one step; the
    /// new value. A key this creates expires after `ttl` (never when nil); an existing key keeps
    /// its expiry.
    func increment(_ key: String, by amount: Int, ttl: Duration?) throws(HandlerError) -> Int
}

/// A named blob store.
public protocol StorageBackend: Sendable {
    func put(_ key: String, _ bytes: [UInt8], contentType: String) throws(HandlerError)
    func get(_ key: String) throws(HandlerError) -> StoredObject?
    func list(prefix: String) throws(HandlerError) -> [String]
    /// True when there was an object.
    func delete(_ key: String) throws(HandlerError) -> Bool
}

/// Where an endpoint's `ctx.state` is kept between runs.
public protocol StateBackend: Sendable {
    /// Every stored key with its encoded value.
    func load() throws(HandlerError) -> [(key: String, value: [UInt8])]
    /// Stores durably before returning.
    func write(_ key: String, _ value: [UInt8]) throws(HandlerError)
    func remove(_ key: String) throws(HandlerError)
    func removeAll() throws(HandlerError)
}

/// A host without services (a test that builds a Context by hand): every call says so.
struct NoServices: ServiceProvider {
    static let reason = "no services in this context (the host supplies ctx.database, ctx.cache and ctx.storage)"

    func database(_ name: String) -> any DatabaseBackend { NoDatabase() }
    func cache(_ name: String) -> any CacheBackend { NoCache() }
    func storage(_ name: String) -> any StorageBackend { NoStorage() }
}

private struct NoDatabase: DatabaseBackend {
    func execute(_ sql: String, _ parameters: [SQLValue], owner: String) throws(DatabaseError) -> Int {
        throw DatabaseError(message: NoServices.reason, statement: sql, code: 1)
    }
    func query(_ sql: String, _ parameters: [SQLValue], owner: String) throws(DatabaseError) -> SQLRows {
        throw DatabaseError(message: NoServices.reason, statement: sql, code: 1)
    }
    func begin(owner: String) throws(DatabaseError) -> any DatabaseTransactionBackend {
        throw DatabaseError(message: NoServices.reason, statement: "BEGIN", code: 1)
    }
}

private struct NoCache: CacheBackend {
    func get(_ key: String) throws(HandlerError) -> [UInt8]? { throw .serviceUnavailable(NoServices.reason) }
    func set(_ key: String, _ value: [UInt8], ttl: Duration?) throws(HandlerError) {
        throw .serviceUnavailable(NoServices.reason)
    }
    func delete(_ key: String) throws(HandlerError) -> Bool { throw .serviceUnavailable(NoServices.reason) }
    func increment(_ key: String, by amount: Int, ttl: Duration?) throws(HandlerError) -> Int {
        throw .serviceUnavailable(NoServices.reason)
    }
}

private struct NoStorage: StorageBackend {
    func put(_ key: String, _ bytes: [UInt8], contentType: String) throws(HandlerError) {
        throw .serviceUnavailable(NoServices.reason)
    }
    func get(_ key: String) throws(HandlerError) -> StoredObject? { throw .serviceUnavailable(NoServices.reason) }
    func list(prefix: String) throws(HandlerError) -> [String] { throw .serviceUnavailable(NoServices.reason) }
    func delete(_ key: String) throws(HandlerError) -> Bool { throw .serviceUnavailable(NoServices.reason) }
}
