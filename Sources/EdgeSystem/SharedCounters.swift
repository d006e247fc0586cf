import CSystem
import Glibc

/// A small table of named counters in a file mapped `MAP_SHARED`, so that another process can
/// read it even after this one died: how the supervisor learns which endpoints had requests in
/// flight when the gateway ended, and whether edge-dev itself chose to end it.
///
/// Layout: a header (magic, a "deliberate exit" flag), then `capacity` slots of a 60-byte name
/// and a 32-bit count. Counts change with relaxed atomics: one add per request in and out.
public final class SharedCounters: @unchecked Sendable {
    public static let capacity = 256
    static let nameBytes = 60
    static let slotBytes = 64
    static let headerBytes = 64
    static let magic: Int32 = 0x4544_4745  // "EDGE"
    static var size: Int { headerBytes + capacity * slotBytes }

    private let base: UnsafeMutableRawPointer
    // Names are assigned under this lock (rarely: once per endpoint); counting never takes it.
    private var slots: [String: Int] = [:]
    private var lock = pthread_mutex_t()

    /// Creates (or empties) the table at `path`.
    public init(creating path: String) throws(SystemError) {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError.current("open \(path)") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(Self.size)) == 0 else { throw SystemError.current("ftruncate \(path)") }
        guard let mapped = mmap(nil, Self.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED
        else { throw SystemError.current("mmap \(path)") }
        base = mapped
        pthread_mutex_init(&lock, nil)
        edge_shared_store(counter(at: 0), Self.magic)
    }

    deinit { munmap(base, Self.size) }

    private func counter(at offset: Int) -> UnsafeMutablePointer<Int32> {
        (base + offset).assumingMemoryBound(to: Int32.self)
    }

    private func countOffset(_ slot: Int) -> Int { Self.headerBytes + slot * Self.slotBytes + Self.nameBytes }

    /// The slot for `name`, assigned on first use; nil when the table is full.
    public func slot(for name: String) -> Int? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let slot = slots[name] { return slot }
        guard slots.count < Self.capacity else { return nil }
        let slot = slots.count
        let bytes = Array(name.utf8.prefix(Self.nameBytes - 1)) + [0]
        bytes.withUnsafeBytes {
            (base + Self.headerBytes + slot * Self.slotBytes).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
        }
        slots[name] = slot
        return slot
    }

    public func add(_ slot: Int, _ delta: Int32) { edge_shared_add(counter(at: countOffset(slot)), delta) }

    /// Says that this process is ending because edge-dev decided to (not a handler's `exit()`).
    public func markDeliberateExit() { edge_shared_store(counter(at: 4), 1) }

    /// What a table at `path` says: the names with a count above zero, and whether the exit
    /// was deliberate. Nil when there is no table there.
    public static func read(_ path: String) -> (inFlight: [String], deliberate: Bool)? {
        guard let bytes = try? FilePath.readBytes(path), bytes.count == size else { return nil }
        func int32(_ offset: Int) -> Int32 {
            bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) }
        }
        guard int32(0) == magic else { return nil }
        var names: [String] = []
        for slot in 0..<capacity {
            let start = headerBytes + slot * slotBytes
            guard bytes[start] != 0 else { break }
            if int32(start + nameBytes) > 0 {
                names.append(String(decoding: bytes[start..<start + nameBytes].prefix { $0 != 0 }, as: UTF8.self))
            }
        }
        return (names, int32(4) != 0)
    }
}
