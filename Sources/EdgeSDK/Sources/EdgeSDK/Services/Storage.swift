/// `ctx.storage(name)`: blobs under keys such as `avatars/42.png`, in
/// `.edge/data/storage/<name>/`. A key is a relative path of non-empty segments: no `..` or `.`
/// segment, no leading `/`, no NUL; a bad key is an error and touches nothing.
///
/// ```swift
/// let blobs = ctx.storage("uploads")
/// try blobs.put("a/b.txt", Array("hi".utf8), contentType: "text/plain")
/// let object = try blobs.get("a/b.txt")   // .bytes, .contentType; nil when absent
/// let keys = try blobs.list(prefix: "a/")
/// ```
public struct Storage: Sendable {
    public let name: String
    let backend: any StorageBackend

    public func put(_ key: String, _ bytes: [UInt8], contentType: String = "application/octet-stream")
        throws(HandlerError)
    {
        try backend.put(key, bytes, contentType: contentType)
    }

    public func get(_ key: String) throws(HandlerError) -> StoredObject? { try backend.get(key) }

    /// Every key that starts with `prefix`, sorted.
    public func list(prefix: String = "") throws(HandlerError) -> [String] { try backend.list(prefix: prefix) }

    @discardableResult
    public func delete(_ key: String) throws(HandlerError) -> Bool { try backend.delete(key) }
}

/// One stored blob.
public struct StoredObject: Sendable, Equatable {
    public var key: String
    public var bytes: [UInt8]
    public var contentType: String

    public init(key: String, bytes: [UInt8], contentType: String) {
        self.key = key
        self.bytes = bytes
        self.contentType = contentType
    }

    /// A response serving the object as stored.
    public var response: Response {
        var response = Response(status: 200, body: bytes)
        response.headers.set("Content-Type", contentType)
        return response
    }
}
