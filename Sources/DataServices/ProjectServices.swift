import EdgeSDK
import EdgeSystem
import Synchronization

/// The services of one project, under `.edge/data/`: each `ctx.database(name)` in
/// `<name>.sqlite`, every cache in `_cache.sqlite`, every endpoint's `ctx.state` in
/// `_state.sqlite`, each `ctx.storage(name)` under `storage/<name>/`. Opened on first use and
/// kept open; safe from any thread.
public final class ProjectServices: ServiceProvider, Sendable {
    public let dataDirectory: String
    /// `handlers/`, whose `_migrations/<database>/` folders hold the migrations.
    public let handlersDirectory: String
    /// Paths as the user knows them (relative to the project folder).
    private let display: @Sendable (String) -> String

    private struct State {
        var databases: [String: SQLiteDatabase] = [:]
        var failures: [String: DatabaseError] = [:]
        /// The last migration run of each database that has migrations.
        var migrations: [String: Migrations.Outcome] = [:]
        var stores: [String: BlobStore] = [:]
        var internalDatabases: [String: SQLiteDatabase] = [:]
        /// One `ctx.state` per endpoint for the life of the process, even across a removal and a
        /// return of its folder: two stores of one endpoint would disagree with each other and
        /// with the disk.
        var stateStores: [String: StateStore] = [:]
    }
    private let state = Mutex(State())
    private let migrationLock = Mutex(())

    public init(dataDirectory: String, handlersDirectory: String, display: @escaping @Sendable (String) -> String) {
        self.dataDirectory = dataDirectory
        self.handlersDirectory = handlersDirectory
        self.display = display
    }

    /// Letters, digits, `-` and `_`, at most 64, not starting with `_` (edge-dev's own files) or `-`.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "_"), first != UInt8(ascii: "-"), name.utf8.count <= 64
        else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
        }
    }

    static let nameRule = "letters, digits, '-' and '_', not starting with '_' or '-', at most 64 characters"

    public func databasePath(_ name: String) -> String { FilePath.join(dataDirectory, "\(name).sqlite") }

    // MARK: - ServiceProvider

    public func database(_ name: String) -> any DatabaseBackend {
        switch openDatabase(name) {
        case .success(let database): database
        case .failure(let error): UnavailableDatabase(error: error)
        }
    }

    public func cache(_ name: String) -> any CacheBackend {
        guard Self.isValidName(name) else {
            return UnavailableService(error: .internal("ctx.cache(\"\(name)\"): a cache name is \(Self.nameRule)"))
        }
        switch cacheDatabase() {
        case .success(let database): return CacheStore(database: database, cache: name)
        case .failure(let error): return UnavailableService(error: .serviceUnavailable("ctx.cache: \(error.message)"))
        }
    }

    public func storage(_ name: String) -> any StorageBackend {
        guard Self.isValidName(name) else {
            return UnavailableService(error: .internal("ctx.storage(\"\(name)\"): a storage name is \(Self.nameRule)"))
        }
        return state.withLock { state in
            if let store = state.stores[name] { return store }
            let store = BlobStore(name: name, root: FilePath.join(FilePath.join(dataDirectory, "storage"), name))
            state.stores[name] = store
            return store
        }
    }

    /// The durable backend of endpoint `id`'s `ctx.state`, or why there is none.
    public func stateBackend(endpoint id: String) -> Result<any StateBackend, DatabaseError> {
        internalDatabase("_state", schema: StateFile.schema).map { StateFile(database: $0, endpoint: id) }
    }

    /// Endpoint `id`'s `ctx.state`, the same store every time; with what it held when edge-dev
    /// last ran. Throws when its file cannot be opened.
    public func stateStore(endpoint id: String) throws(HandlerError) -> StateStore {
        if let store = state.withLock({ $0.stateStores[id] }) { return store }
        let backend: any StateBackend
        switch stateBackend(endpoint: id) {
        case .success(let found): backend = found
        case .failure(let error): throw .serviceUnavailable("ctx.state of \(id): \(error.message)")
        }
        let store = try StateStore(backend: backend)
        return state.withLock { state in
            if let first = state.stateStores[id] { return first }  // another thread opened it meanwhile
            state.stateStores[id] = store
            return store
        }
    }

    /// The store of `id` if it was opened.
    public func openStateStore(endpoint id: String) -> StateStore? {
        state.withLock { $0.stateStores[id] }
    }

    /// Rolls back the transactions a request left open: it trapped, and its thread is gone.
    public func reclaim(owner: String) {
        let databases = state.withLock { Array($0.databases.values) }
        for database in databases { database.reclaim(owner: owner) }
    }

    // MARK: - Databases

    /// Opens database `name` (creating its file) and applies its migrations, once.
    func openDatabase(_ name: String) -> Result<SQLiteDatabase, DatabaseError> {
        guard Self.isValidName(name) else {
            return .failure(
                DatabaseError(
                    message: "a database name is \(Self.nameRule)", statement: "ctx.database(\"\(name)\")", code: 1))
        }
        return state.withLock { state in
            if let open = state.databases[name] { return .success(open) }
            do {
                try FilePath.createDirectories(dataDirectory)
            } catch {
                return .failure(DatabaseError(message: "\(error)", statement: "open \(dataDirectory)", code: 1))
            }
            do throws(DatabaseError) {
                let database = try SQLiteDatabase(path: databasePath(name))
                state.databases[name] = database
                state.failures[name] = nil
                return .success(database)
            } catch {
                state.failures[name] = error
                return .failure(error)
            }
        }
    }

    func cacheDatabase() -> Result<SQLiteDatabase, DatabaseError> {
        internalDatabase("_cache", schema: CacheStore.schema)
    }

    private func internalDatabase(_ name: String, schema: String) -> Result<SQLiteDatabase, DatabaseError> {
        state.withLock { state in
            if let open = state.internalDatabases[name] { return .success(open) }
            do {
                try FilePath.createDirectories(dataDirectory)
                let database = try SQLiteDatabase(path: FilePath.join(dataDirectory, "\(name).sqlite"))
                try database.writing(schema) { connection throws(DatabaseError) in try connection.run(schema) }
                // Expired rows are never returned; this keeps them from piling up across runs.
                if name == "_cache" { CacheStore.purgeExpired(database) }
                state.internalDatabases[name] = database
                return .success(database)
            } catch let error as DatabaseError {
                return .failure(error)
            } catch {
                return .failure(DatabaseError(message: "\(error)", statement: "open \(name)", code: 1))
            }
        }
    }

    /// Applies the migrations of every database that has a `_migrations/<name>/` folder (or of
    /// `only`), in order; what each run did, by database.
    /// `from`, when given, is the folder holding `_migrations/` instead of the handlers folder
    /// (a bundle's, resolved once so that a link switched meanwhile cannot mix two bundles).
    @discardableResult
    public func migrate(only: String? = nil, from folder: String? = nil) -> [String: Migrations.Outcome] {
        serializingMigrations { migrateUnserialized(only: only, from: folder) }
    }

    /// One migration run or reset at a time (the watcher, the dashboard and the start-up can ask
    /// at once). Held only around SQLite work, never around handler code.
    func serializingMigrations<T>(_ body: () -> T) -> T {
        migrationLock.withLock { _ in body() }
    }

    func migrateUnserialized(only: String?, from folder: String? = nil) -> [String: Migrations.Outcome] {
        let handlersDirectory = folder ?? self.handlersDirectory
        var outcomes: [String: Migrations.Outcome] = [:]
        for name in Migrations.databases(handlersDirectory) where only == nil || only == name {
            switch openDatabase(name) {
            case .success(let database):
                outcomes[name] = Migrations.apply(
                    Migrations.directory(handlersDirectory, database: name), to: database, display: display)
            case .failure(let error):
                outcomes[name] = Migrations.Outcome(
                    applied: [],
                    failure: Migrations.Failure(file: display(databasePath(name)), line: nil, message: error.message))
            }
        }
        state.withLock { state in
            for (name, outcome) in outcomes { state.migrations[name] = outcome }
        }
        return outcomes
    }

    /// The last migration failure of each database that has one.
    public var migrationFailures: [String: Migrations.Failure] {
        state.withLock { $0.migrations.compactMapValues(\.failure) }
    }
}

private struct UnavailableDatabase: DatabaseBackend {
    let error: DatabaseError
    func execute(_ sql: String, _ parameters: [SQLValue], owner: String) throws(DatabaseError) -> Int { throw error }
    func query(_ sql: String, _ parameters: [SQLValue], owner: String) throws(DatabaseError) -> SQLRows { throw error }
    func begin(owner: String) throws(DatabaseError) -> any DatabaseTransactionBackend { throw error }
}

private struct UnavailableService: CacheBackend, StorageBackend {
    let error: HandlerError
    func get(_ key: String) throws(HandlerError) -> [UInt8]? { throw error }
    func set(_ key: String, _ value: [UInt8], ttl: Duration?) throws(HandlerError) { throw error }
    func delete(_ key: String) throws(HandlerError) -> Bool { throw error }
    func increment(_ key: String, by amount: Int, ttl: Duration?) throws(HandlerError) -> Int { throw error }
    func put(_ key: String, _ bytes: [UInt8], contentType: String) throws(HandlerError) { throw error }
    func get(_ key: String) throws(HandlerError) -> StoredObject? { throw error }
    func list(prefix: String) throws(HandlerError) -> [String] { throw error }
}
