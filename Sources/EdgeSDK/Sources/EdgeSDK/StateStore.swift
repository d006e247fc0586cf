import Synchronization

/// An endpoint's in-memory data, kept by the host across saves: `ctx.state`.
///
/// A handler under development is rebuilt and swapped on every save, and its globals start over
/// each time. Values put here survive that: the host keeps one store per endpoint for as long as
/// the endpoint's folder exists. Values are stored encoded (JSON), because each build is its own
/// module: the `Todo` of version 3 is not the `Todo` of version 4, but both decode the same JSON.
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

    public init() {}

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
        values.withLock { $0[key] = Entry(bytes: bytes, version: version) }
    }

    /// Removes the value under `key`.
    public func remove(_ key: String) {
        _ = values.withLock { $0.removeValue(forKey: key) }
    }

    /// Removes every value.
    public func removeAll() {
        values.withLock { $0.removeAll() }
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
            let stored = values.withLock { values -> Bool in
                guard values[key]?.version == seen?.version else { return false }
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
                    + "change it back, or remove the value with ctx.state.remove(\"\(key)\")")
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
