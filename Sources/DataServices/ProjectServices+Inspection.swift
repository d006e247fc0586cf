import EdgeSDK
import EdgeSystem
import Glibc

/// What the dashboard, the status document and `edge-dev db|state|clean` see of the data, and
/// the resets they ask for.
extension ProjectServices {
    /// One table of a database: its row count, columns and first rows.
    public struct TableView: Sendable {
        public var name: String
        public var rowCount: Int
        public var columns: [String]
        public var firstRows: [[SQLValue]]
    }

    public struct DatabaseView: Sendable {
        public var name: String
        /// The file with its WAL.
        public var bytes: Int
        public var tables: [TableView]
        public var migrationsApplied: Int
        public var migrationFailure: Migrations.Failure?
    }

    public struct CacheEntryView: Sendable {
        public var cache: String
        public var key: String
        /// Seconds left; nil when it never expires.
        public var expiresIn: Double?
        public var bytes: Int
    }

    public struct StoredObjectView: Sendable {
        public var store: String
        public var key: String
        public var bytes: Int
        public var contentType: String
    }

    /// The user's databases: a `.sqlite` file under `.edge/data`, or a `_migrations/<name>`.
    public func databaseNames() -> [String] {
        let files = FilePath.contents(of: dataDirectory).filter { $0.hasSuffix(".sqlite") }.map {
            String($0.dropLast(".sqlite".count))
        }
        return Set(files + Migrations.databases(handlersDirectory)).filter(Self.isValidName).sorted()
    }

    public func inspectDatabase(_ name: String, rowsPerTable: Int = 5) -> DatabaseView {
        let path = databasePath(name)
        let bytes = [path, path + "-wal"].compactMap { FilePath.modification($0)?.size }.reduce(0, +)
        var view = DatabaseView(
            name: name, bytes: bytes, tables: [], migrationsApplied: 0, migrationFailure: migrationFailures[name])
        guard FilePath.exists(path), case .success(let database) = openDatabase(name) else { return view }
        let tables =
            (try? database.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", [],
                owner: ""))?.rows ?? []
        for row in tables {
            guard case .text(let table) = row[0] else { continue }
            let quoted = SQLiteConnection.quotedIdentifier(table)
            if table == "_edge_migrations" {
                if case .integer(let count)? = (try? database.query("SELECT count(*) FROM \(quoted)", [], owner: ""))?
                    .rows.first?.first
                {
                    view.migrationsApplied = Int(count)
                }
                continue
            }
            var count = 0
            if case .integer(let n)? = (try? database.query("SELECT count(*) FROM \(quoted)", [], owner: ""))?.rows
                .first?.first
            {
                count = Int(n)
            }
            let first = try? database.query(
                "SELECT * FROM \(quoted) LIMIT ?", [.integer(Int64(rowsPerTable))], owner: "")
            view.tables.append(
                TableView(name: table, rowCount: count, columns: first?.columns ?? [], firstRows: first?.rows ?? []))
        }
        return view
    }

    public func cacheEntries(limit: Int = 100) -> [CacheEntryView] {
        guard FilePath.exists(FilePath.join(dataDirectory, "_cache.sqlite")),
            case .success(let database) = cacheDatabase()
        else { return [] }
        let now = CacheStore.now()
        let rows =
            (try? database.query(
                "SELECT cache, key, expires_at, length(value) FROM cache_entries "
                    + "WHERE expires_at IS NULL OR expires_at > ? ORDER BY cache, key LIMIT ?",
                [.real(now), .integer(Int64(limit))], owner: ""))?.rows ?? []
        return rows.compactMap { row in
            guard case .text(let cache) = row[0], case .text(let key) = row[1] else { return nil }
            var expiresIn: Double?
            if case .real(let at) = row[2] { expiresIn = max(0, at - now) }
            var bytes = 0
            if case .integer(let n) = row[3] { bytes = Int(n) }
            return CacheEntryView(cache: cache, key: key, expiresIn: expiresIn, bytes: bytes)
        }
    }

    /// Live cache keys, counted by SQLite (the status document's figure: no rows read).
    public func cacheKeyCount() -> Int {
        guard FilePath.exists(FilePath.join(dataDirectory, "_cache.sqlite")),
            case .success(let database) = cacheDatabase(),
            case .integer(let count)? =
                (try? database.query(
                    "SELECT count(*) FROM cache_entries WHERE expires_at IS NULL OR expires_at > ?",
                    [.real(CacheStore.now())], owner: ""))?.rows.first?.first
        else { return 0 }
        return Int(count)
    }

    /// Stored objects, counted from the folders (no content types read).
    public func storedObjectCount() -> Int {
        storageNames().reduce(0) { total, name in
            total + (((storage(name) as? BlobStore).flatMap { try? $0.list(prefix: "") })?.count ?? 0)
        }
    }

    public func storageNames() -> [String] {
        FilePath.contents(of: FilePath.join(dataDirectory, "storage")).filter(Self.isValidName).sorted()
    }

    public func storedObjects(limit: Int = 100) -> [StoredObjectView] {
        var objects: [StoredObjectView] = []
        for name in storageNames() {
            guard let store = storage(name) as? BlobStore else { continue }
            for key in (try? store.list(prefix: "")) ?? [] where objects.count < limit {
                let (bytes, type) = store.describe(key)
                objects.append(StoredObjectView(store: name, key: key, bytes: bytes, contentType: type))
            }
        }
        return objects
    }

    /// Bytes under `.edge/data`.
    public func dataBytes() -> Int { FilePath.treeSize(dataDirectory) }

    // MARK: - Resets

    /// Empties database `name` in place (every table dropped, on the same file, so requests
    /// that hold it see the reset) and applies its migrations again.
    public func resetDatabase(_ name: String) -> Migrations.Outcome? {
        guard Self.isValidName(name) else { return nil }
        return serializingMigrations {
            switch openDatabase(name) {
            case .success(let database):
                do throws(DatabaseError) {
                    try database.dropEverything()
                } catch {
                    return Migrations.Outcome(
                        applied: [],
                        failure: Migrations.Failure(file: databasePath(name), line: nil, message: error.message))
                }
            case .failure(let error):
                return Migrations.Outcome(
                    applied: [],
                    failure: Migrations.Failure(file: databasePath(name), line: nil, message: error.message))
            }
            return migrateUnserialized(only: name)[name]
        }
    }

    /// Removes `key` of cache `name`, or every key of it; how many.
    public func resetCache(_ name: String, key: String? = nil) -> Int {
        guard case .success(let database) = cacheDatabase() else { return 0 }
        if let key {
            return
                (try? database.execute(
                    "DELETE FROM cache_entries WHERE cache = ? AND key = ?", [.text(name), .text(key)], owner: "")) ?? 0
        }
        return (try? database.execute("DELETE FROM cache_entries WHERE cache = ?", [.text(name)], owner: "")) ?? 0
    }

    /// Removes object `key` of store `name`, or every object; how many.
    public func resetStorage(_ name: String, key: String? = nil) -> Int {
        guard Self.isValidName(name), let store = storage(name) as? BlobStore else { return 0 }
        if let key { return (try? store.delete(key)) == true ? 1 : 0 }
        let count = ((try? store.list(prefix: "")) ?? []).count
        FilePath.removeTree(store.root)
        return count
    }
}
