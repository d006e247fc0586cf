import EdgeSDK

/// Where each endpoint's `ctx.state` is kept: `.edge/data/_state.sqlite`, one row per endpoint
/// and key. A write commits (WAL, `synchronous = FULL`) before `set` or `update` returns.
final class StateFile: StateBackend, Sendable {
    let database: SQLiteDatabase
    let endpoint: String

    init(database: SQLiteDatabase, endpoint: String) {
        self.database = database
        self.endpoint = endpoint
    }

    static let schema =
        "CREATE TABLE IF NOT EXISTS state_values (endpoint TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
        + "updated_at TEXT NOT NULL DEFAULT (datetime('now')), PRIMARY KEY (endpoint, key)) WITHOUT ROWID"

    private func failure(_ error: DatabaseError) -> HandlerError {
        .internal("ctx.state of \(endpoint): \(error.message)")
    }

    func load() throws(HandlerError) -> [(key: String, value: [UInt8])] {
        do {
            let rows = try database.query(
                "SELECT key, value FROM state_values WHERE endpoint = ?", [.text(endpoint)], owner: "")
            return rows.rows.compactMap { row in
                guard case .text(let key) = row[0], case .blob(let value) = row[1] else { return nil }
                return (key, value)
            }
        } catch {
            throw failure(error)
        }
    }

    func write(_ key: String, _ value: [UInt8]) throws(HandlerError) {
        do {
            _ = try database.execute(
                "INSERT INTO state_values (endpoint, key, value) VALUES (?, ?, ?) ON CONFLICT (endpoint, key) "
                    + "DO UPDATE SET value = excluded.value, updated_at = datetime('now')",
                [.text(endpoint), .text(key), .blob(value)], owner: "")
        } catch {
            throw failure(error)
        }
    }

    func remove(_ key: String) throws(HandlerError) {
        do {
            _ = try database.execute(
                "DELETE FROM state_values WHERE endpoint = ? AND key = ?", [.text(endpoint), .text(key)], owner: "")
        } catch {
            throw failure(error)
        }
    }

    func removeAll() throws(HandlerError) {
        do {
            _ = try database.execute("DELETE FROM state_values WHERE endpoint = ?", [.text(endpoint)], owner: "")
        } catch {
            throw failure(error)
        }
    }
}
