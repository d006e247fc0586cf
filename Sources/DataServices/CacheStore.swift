import EdgeSDK
import Glibc

/// `ctx.cache(name)`: every cache of the project in one SQLite file (`.edge/data/_cache.sqlite`),
/// one row per key with its expiry. An expired key is never returned: reads filter on the
/// expiry, and expired rows are removed when written over or by `purgeExpired`.
final class CacheStore: CacheBackend, Sendable {
    let database: SQLiteDatabase
    let cache: String

    init(database: SQLiteDatabase, cache: String) {
        self.database = database
        self.cache = cache
    }

    static let schema =
        "CREATE TABLE IF NOT EXISTS cache_entries (cache TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
        + "expires_at REAL, PRIMARY KEY (cache, key)) WITHOUT ROWID"

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Seconds since 1970, as the expiry column holds them.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func failure(_ error: DatabaseError) -> HandlerError {
        .internal("ctx.cache(\"\(cache)\"): \(error.message)")
    }

    func get(_ key: String) throws(HandlerError) -> [UInt8]? {
        do {
            let rows = try database.query(
                "SELECT value FROM cache_entries WHERE cache = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
                [.text(cache), .text(key), .real(Self.now())], owner: "")
            switch rows.rows.first?.first {
            case .blob(let bytes)?: return bytes
            case .text(let text)?: return Array(text.utf8)  // a counter written by increment
            default: return nil
            }
        } catch {
            throw failure(error)
        }
    }

    func set(_ key: String, _ value: [UInt8], ttl: Duration?) throws(HandlerError) {
        let expires: SQLValue =
            ttl.map { .real(Self.now() + Self.seconds($0)) } ?? .null
        do {
            _ = try database.execute(
                "INSERT INTO cache_entries (cache, key, value, expires_at) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (cache, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                [.text(cache), .text(key), .blob(value), expires], owner: "")
        } catch {
            throw failure(error)
        }
    }

    func delete(_ key: String) throws(HandlerError) -> Bool {
        do {
            return try database.execute(
                "DELETE FROM cache_entries WHERE cache = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
                [.text(cache), .text(key), .real(Self.now())], owner: "") > 0
        } catch {
            throw failure(error)
        }
    }

    /// One statement, so concurrent increments never lose one: an absent or expired key starts
    /// from 0 (and expires after `ttl`, if given); a value that is not an integer is an error,
    /// left as it is.
    func increment(_ key: String, by amount: Int, ttl: Duration?) throws(HandlerError) -> Int {
        let expires: SQLValue = ttl.map { .real(Self.now() + Self.seconds($0)) } ?? .null
        do {
            let rows = try database.query(
                "INSERT INTO cache_entries (cache, key, value, expires_at) VALUES (?1, ?2, CAST(?3 AS TEXT), ?5) "
                    + "ON CONFLICT (cache, key) DO UPDATE SET "
                    + "value = CAST(CASE WHEN expires_at IS NOT NULL AND expires_at <= ?4 THEN ?3 "
                    + "ELSE CAST(CAST(value AS TEXT) AS INTEGER) + ?3 END AS TEXT), "
                    + "expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at <= ?4 THEN ?5 ELSE expires_at END "
                    + "WHERE CAST(CAST(value AS TEXT) AS INTEGER) || '' = CAST(value AS TEXT) "
                    + "OR (expires_at IS NOT NULL AND expires_at <= ?4) "
                    + "RETURNING value",
                [.text(cache), .text(key), .integer(Int64(amount)), .real(Self.now()), expires], owner: "")
            guard let value = rows.rows.first?.first else {
                throw HandlerError.conflict(
                    "ctx.cache(\"\(cache)\").increment(\"\(key)\"): the value there is not an integer")
            }
            switch value {
            case .text(let text): if let number = Int(text) { return number }
            case .integer(let number): return Int(number)
            case .blob(let bytes): if let number = Int(String(decoding: bytes, as: UTF8.self)) { return number }
            default: break
            }
            throw HandlerError.conflict(
                "ctx.cache(\"\(cache)\").increment(\"\(key)\"): the value there is not an integer")
        } catch let error as DatabaseError {
            throw failure(error)
        } catch let error as HandlerError {
            throw error
        } catch {
            throw .internal("ctx.cache(\"\(cache)\"): \(error)")
        }
    }

    /// Removes expired rows of every cache; how many.
    @discardableResult
    static func purgeExpired(_ database: SQLiteDatabase) -> Int {
        (try? database.execute(
            "DELETE FROM cache_entries WHERE expires_at IS NOT NULL AND expires_at <= ?", [.real(now())], owner: ""))
            ?? 0
    }
}
