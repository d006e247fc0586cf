import EdgeSDK
import EdgeSystem
import Glibc
import Synchronization

/// `ctx.storage(name)`: each object a file under `.edge/data/storage/<name>/objects/<key>`,
/// written to a temporary file beside the tree and renamed into place (a reader never sees half
/// an object), its content type in `<key>` 's sidecar under `types/`.
///
/// Keys are checked before any path is made from them: relative, segments neither empty nor `.`
/// nor `..`, no NUL, at most 1024 bytes. So nothing outside the store's folder is ever touched,
/// whatever the key.
final class BlobStore: StorageBackend, Sendable {
    let name: String
    let root: String
    private var objects: String { FilePath.join(root, "objects") }
    private var types: String { FilePath.join(root, "types") }
    private var temporary: String { FilePath.join(root, "tmp") }
    private let counter = Atomic<UInt64>(0)

    init(name: String, root: String) {
        self.name = name
        self.root = root
    }

    static let maxKeyBytes = 1024

    /// Why `key` is not a valid key, or nil.
    static func problem(with key: String) -> String? {
        if key.isEmpty { return "a key must not be empty" }
        if key.utf8.count > maxKeyBytes { return "a key is at most \(maxKeyBytes) bytes" }
        if key.utf8.contains(0) { return "a key must not contain NUL" }
        if key.hasPrefix("/") { return "a key is relative: it must not start with '/'" }
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "a key must not contain an empty segment ('//' or a trailing '/')" }
            if segment == "." || segment == ".." { return "a key must not contain a '\(segment)' segment" }
        }
        return nil
    }

    private func checked(_ key: String) throws(HandlerError) -> String {
        if let problem = Self.problem(with: key) {
            throw .badRequest("ctx.storage(\"\(name)\"): invalid key \(Self.quoted(key)): \(problem)")
        }
        return key
    }

    private static func quoted(_ key: String) -> String {
        let shown = key.unicodeScalars.map { $0.value < 0x20 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
        return "\"" + shown.joined().prefix(120) + "\""
    }

    func put(_ key: String, _ bytes: [UInt8], contentType: String) throws(HandlerError) {
        let key = try checked(key)
        let path = FilePath.join(objects, key)
        let typePath = FilePath.join(types, key)
        do {
            try FilePath.createDirectories(FilePath.directory(of: path))
            try FilePath.createDirectories(FilePath.directory(of: typePath))
            try FilePath.createDirectories(temporary)
            // The type first: a reader that sees the new object sees its type.
            try writeDurably(Array(contentType.utf8), to: typePath)
            try writeDurably(bytes, to: path)
        } catch {
            throw .internal("ctx.storage(\"\(name)\").put(\(Self.quoted(key))): \(error)")
        }
    }

    /// Writes to a temporary file, fsyncs it, renames it into place and fsyncs the folder: an
    /// answered put survives a crash.
    private func writeDurably(_ bytes: [UInt8], to path: String) throws(SystemError) {
        let scratch = FilePath.join(temporary, "\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)")
        try FilePath.write(bytes, to: scratch)
        do {
            try Self.sync(scratch, flags: O_RDONLY)
        } catch {
            unlink(scratch)
            throw error
        }
        guard rename(scratch, path) == 0 else {
            let error = SystemError.current("rename \(path)")
            unlink(scratch)
            throw error
        }
        // The folder that now names the file, and every folder up to the store's root (any of
        // them may have just been created), so the name survives a crash too.
        var folder = FilePath.directory(of: path)
        while folder.count >= root.count {
            try Self.sync(folder, flags: O_RDONLY | O_DIRECTORY)
            folder = FilePath.directory(of: folder)
        }
    }

    private static func sync(_ path: String, flags: Int32) throws(SystemError) {
        let fd = open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError.current("open \(path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemError.current("fsync \(path)") }
    }

    func get(_ key: String) throws(HandlerError) -> StoredObject? {
        let key = try checked(key)
        let path = FilePath.join(objects, key)
        guard FilePath.isRegularFile(path) else { return nil }
        do {
            let bytes = try FilePath.readBytes(path)
            let type = (try? FilePath.readText(FilePath.join(types, key))) ?? "application/octet-stream"
            return StoredObject(key: key, bytes: bytes, contentType: type)
        } catch {
            if FilePath.exists(path) { throw .internal("ctx.storage(\"\(name)\").get(\(Self.quoted(key))): \(error)") }
            return nil  // deleted meanwhile
        }
    }

    func list(prefix: String) throws(HandlerError) -> [String] {
        if prefix.utf8.contains(0) { throw .badRequest("ctx.storage(\"\(name)\"): a prefix must not contain NUL") }
        var keys: [String] = []
        func walk(_ folder: String, _ relative: String) {
            for entry in FilePath.contents(of: folder) {
                let key = relative.isEmpty ? entry : relative + "/" + entry
                let path = FilePath.join(folder, entry)
                if FilePath.isDirectory(path) {
                    // Only folders on the way to the prefix, or under it.
                    if key.hasPrefix(prefix) || prefix.hasPrefix(key + "/") { walk(path, key) }
                } else if key.hasPrefix(prefix) {
                    keys.append(key)
                }
            }
        }
        walk(objects, "")
        return keys.sorted()
    }

    func delete(_ key: String) throws(HandlerError) -> Bool {
        let key = try checked(key)
        let path = FilePath.join(objects, key)
        guard unlink(path) == 0 else { return false }
        unlink(FilePath.join(types, key))
        // Empty folders left behind go too, up to the store's root.
        var folder = FilePath.directory(of: path)
        while folder.count > objects.count, rmdir(folder) == 0 { folder = FilePath.directory(of: folder) }
        return true
    }

    /// An object's size (from the file system, without reading it) and content type.
    func describe(_ key: String) -> (bytes: Int, contentType: String) {
        guard Self.problem(with: key) == nil else { return (0, "") }
        let size = FilePath.modification(FilePath.join(objects, key))?.size ?? 0
        let type = (try? FilePath.readText(FilePath.join(types, key))) ?? "application/octet-stream"
        return (size, type)
    }
}
