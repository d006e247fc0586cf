/// `ctx.cache(name)`: a persisted key-value cache; values are any `Codable`, each optionally
/// with a time to live, and an expired key is never returned.
///
/// ```swift
/// let cache = ctx.cache("views")
/// try cache.set("k", "v", ttl: .seconds(30))
/// let v: String? = try cache.get("k", as: String.self)
/// let hits = try cache.increment("hits")
/// ```
public struct Cache: Sendable {
    public let name: String
    let backend: any CacheBackend

    public func get<T: Decodable>(_ key: String, as type: T.Type = T.self) throws(HandlerError) -> T? {
        guard let bytes = try backend.get(key) else { return nil }
        do {
            return try JSONCoding.decode(type, from: bytes)
        } catch {
            throw HandlerError.internal(
                "ctx.cache(\"\(name)\")[\"\(key)\"] does not decode as \(type) (\(JSONCoding.explain(error)))")
        }
    }

    /// Stores `value`; it expires after `ttl` (never when nil).
    public func set<T: Encodable>(_ key: String, _ value: T, ttl: Duration? = nil) throws(HandlerError) {
        let bytes: [UInt8]
        do {
            bytes = try JSONCoding.encode(value)
        } catch {
            throw HandlerError.internal("ctx.cache(\"\(name)\")[\"\(key)\"]: cannot encode \(T.self): \(error)")
        }
        try backend.set(key, bytes, ttl: ttl)
    }

    /// Removes `key`; true when it held a value.
    @discardableResult
    public func delete(_ key: String) throws(HandlerError) -> Bool { try backend.delete(key) }

    /// True when `key` holds a value that has not expired.
    public func exists(_ key: String) throws(HandlerError) -> Bool { try backend.get(key) != nil }

    /// Adds `amount` to the integer under `key` (starting from 0) atomically; the new value.
    /// When this creates the key (absent or expired), it expires after `ttl`: a fixed window
    /// (`increment("rate:\(client)", ttl: .seconds(60))`) in one atomic step.
    @discardableResult
    public func increment(_ key: String, by amount: Int = 1, ttl: Duration? = nil) throws(HandlerError) -> Int {
        try backend.increment(key, by: amount, ttl: ttl)
    }

    /// Subtracts `amount` atomically; the new value.
    @discardableResult
    public func decrement(_ key: String, by amount: Int = 1, ttl: Duration? = nil) throws(HandlerError) -> Int {
        try backend.increment(key, by: -amount, ttl: ttl)
    }
}
