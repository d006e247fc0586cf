import Synchronization

/// An endpoint's data, kept by the host across saves and restarts: `ctx.state`.
///
/// A handler under development is rebuilt and swapped on every save, and its globals start over
/// each time. Values put here survive that: the host keeps one store per endpoint for as long as
/// the endpoint's folder exists, and with a `StateBackend` (as `serve` gives it) every write is
/// on disk before `set` or `update` returns, so values survive a restart or a `kill -9` too.
/// Values are stored encoded (JSON), because each build is its own module: the `Todo` of
/// version 3 is not the `Todo` of version 4, but both decode the same JSON.
///
/// ```swift
/// let todo = try ctx.state.update("todos", default: [Todo]()) { todos in
///     todos.append(Todo(title: title))
///     return todos.last!
/// }
/// ```
public final class StateStore: Sendable {
    /// Each value with a version that grows on every write, so `update` can tell whether the
    /// value changed while it worked on it.
    private struct Entry {
        var bytes: [UInt8]
        var version: UInt64
    }

    private let values = Mutex<[String: Entry]>([:])
    private let writes = Atomic<UInt64>(0)
    private let backend: (any StateBackend)?

    /// A store in memory only.
    public init() { backend = nil }

    /// A store kept in `backend`, starting with what it holds.
    public init(backend: any StateBackend) throws(HandlerError) {
        self.backend = backend
        let stored = try backend.load()
        values.withLock { values in
            for (key, bytes) in stored { values[key] = Entry(bytes: bytes, version: 0) }
        }
    }

    /// Each key with its stored JSON, for the dashboard.
    public var encodedValues: [(key: String, json: [UInt8])] {
        values.withLock { $0.map { ($0.key, $0.value.bytes) } }.sorted { $0.key < $1.key }
    }

    /// The keys that hold a value.
    public var keys: [String] { values.withLock { $0.keys.sorted() } }

    /// The value under `key`, or nil when there is none. Throws when there is one that does not
    /// decode as `T` (its type changed shape since it was stored).
    public func get<T: Decodable>(_ key: String, as type: T.Type = T.self) throws(HandlerError) -> T? {
        guard let entry = values.withLock({ $0[key] }) else { return nil }
        return try Self.decode(type, key: key, from: entry.bytes)
    }

    /// Stores `value` under `key`, replacing what was there.
    public func set<T: Encodable>(_ key: String, _ value: T) throws(HandlerError) {
        let bytes = try Self.encode(value, key: key)
        let version = writes.add(1, ordering: .relaxed).newValue
        // The backend writes inside the lock, so the disk and memory agree on the last writer.
        // A backend write never runs handler code: it cannot trap while holding the lock.
        try values.withLock { values throws(HandlerError) in
            try backend?.write(key, bytes)
            values[key] = Entry(bytes: bytes, version: version)
        }
    }

    /// Removes the value under `key`. (Not `throws`, as before there was a disk: should the
    /// disk refuse, the value stays stored and in memory, so the two still agree.)
    public func remove(_ key: String) {
        values.withLock { values in
            if let backend, (try? backend.remove(key)) == nil { return }
            values.removeValue(forKey: key)
        }
    }

    /// Removes every value (with the same rule as `remove`).
    public func removeAll() {
        values.withLock { values in
            if let backend, (try? backend.removeAll()) == nil { return }
            values.removeAll()
        }
    }

    /// Reads the value under `key` (or `initial` when there is none), lets `body` change it, and
    /// stores the result, as one atomic step: concurrent requests never lose each other's updates.
    ///
    /// `body` runs outside any lock (a handler that traps in it must not leave the store locked
    /// for ever), so when another request changed the value meanwhile it runs again on the newer
    /// value: keep it free of other side effects.
    public func update<T: Codable, Result: Sendable>(
        _ key: String, default initial: @autoclosure () -> T, _ body: (inout T) throws -> Result
    ) throws -> Result {
        for _ in 0..<Self.maximumAttempts {
            let seen = values.withLock { $0[key] }
            var value =
                try seen.map { entry throws(HandlerError) in try Self.decode(T.self, key: key, from: entry.bytes) }
                ?? initial()
            let result = try body(&value)
            let bytes = try Self.encode(value, key: key)
            let version = writes.add(1, ordering: .relaxed).newValue
            let stored = try values.withLock { values throws(HandlerError) -> Bool in
                guard values[key]?.version == seen?.version else { return false }
                try backend?.write(key, bytes)
                values[key] = Entry(bytes: bytes, version: version)
                return true
            }
            if stored { return result }
        }
        throw HandlerError.conflict(
            "ctx.state.update(\"\(key)\") gave up: the value changed on each of \(Self.maximumAttempts) tries "
                + "(does the update closure itself write \"\(key)\"?)")
    }

    static let maximumAttempts = 100

    private static func decode<T: Decodable>(_ type: T.Type, key: String, from bytes: [UInt8]) throws(HandlerError)
        -> T
    {
        do {
            return try JSONCoding.decode(type, from: bytes)
        } catch {
            throw HandlerError.internal(
                "ctx.state[\"\(key)\"] does not decode as \(type) any more (\(JSONCoding.explain(error))); "
                    + "the stored value is kept: change the type back, or reset the key "
                    + "(ctx.state.remove(\"\(key)\"), the dashboard, or `edge-dev state reset <endpoint> \(key)`)")
        }
    }

    private static func encode<T: Encodable>(_ value: T, key: String) throws(HandlerError) -> [UInt8] {
        do {
            return try JSONCoding.encode(value)
        } catch {
            throw HandlerError.internal("ctx.state[\"\(key)\"]: cannot encode \(T.self): \(error)")
        }
    }
}
