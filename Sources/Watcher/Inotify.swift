import CSystem
import EdgeSystem
import Glibc

/// An inotify instance behind a small typed API: watch descriptors, event masks and events as
/// Swift values, failures as `WatchError`.
public final class Inotify {
    public let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Which events a watch reports, and what an event was.
    public struct Mask: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let modify = Mask(rawValue: UInt32(IN_MODIFY))
        public static let attributes = Mask(rawValue: UInt32(IN_ATTRIB))
        public static let closeWrite = Mask(rawValue: UInt32(IN_CLOSE_WRITE))
        public static let movedFrom = Mask(rawValue: UInt32(IN_MOVED_FROM))
        public static let movedTo = Mask(rawValue: UInt32(IN_MOVED_TO))
        public static let create = Mask(rawValue: UInt32(IN_CREATE))
        public static let delete = Mask(rawValue: UInt32(IN_DELETE))
        public static let deleteSelf = Mask(rawValue: UInt32(IN_DELETE_SELF))
        public static let moveSelf = Mask(rawValue: UInt32(IN_MOVE_SELF))
        /// The kernel's event queue overflowed: events were lost.
        public static let queueOverflow = Mask(rawValue: UInt32(IN_Q_OVERFLOW))
        /// The watch was removed (explicitly, or because its target is gone).
        public static let ignored = Mask(rawValue: UInt32(IN_IGNORED))
        /// The event's subject is a directory.
        public static let isDirectory = Mask(rawValue: UInt32(IN_ISDIR))
        /// Only watch `path` if it is a directory.
        public static let onlyDirectory = Mask(rawValue: UInt32(IN_ONLYDIR))

        /// Everything a save, a rename or a removal can produce.
        public static let changes: Mask = [
            .modify, .closeWrite, .movedFrom, .movedTo, .create, .delete, .deleteSelf, .moveSelf,
        ]
    }

    public struct Event: Sendable, Equatable {
        public let watch: Int32
        public let mask: Mask
        public let cookie: UInt32
        /// The entry's name inside the watched directory; empty for events on the directory itself.
        public let name: String
    }

    public init() throws(WatchError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else {
            let code = SystemError.lastErrno
            throw code == EMFILE
                ? .limitReached(
                    what: "inotify instances",
                    sysctl: "fs.inotify.max_user_instances")
                : .system(operation: "inotify_init1", code: code)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Adds (or updates) a watch on `path`; returns its descriptor.
    public func addWatch(_ path: String, _ mask: Mask) throws(WatchError) -> Int32 {
        let watch = inotify_add_watch(fd, path, mask.rawValue)
        guard watch >= 0 else {
            let code = SystemError.lastErrno
            if code == ENOSPC { throw .limitReached(what: "inotify watches", sysctl: "fs.inotify.max_user_watches") }
            throw .system(operation: "watch \(path)", code: code)
        }
        return watch
    }

    /// Waits up to `timeoutMilliseconds` (-1: for ever) for events; true when some are ready.
    public func wait(timeoutMilliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, timeoutMilliseconds) > 0
    }

    /// Reads every event queued now, without blocking.
    public func readEvents() -> [Event] {
        var events: [Event] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return events }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                let header = MemoryLayout<inotify_event>.size
                while offset + header <= count {
                    let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let cookie = raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = raw[(offset + header)..<(offset + header + length)]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    events.append(Event(watch: watch, mask: Mask(rawValue: mask), cookie: cookie, name: name))
                    offset += header + length
                }
            }
        }
    }
}

/// Why watching failed.
public enum WatchError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A per-user kernel limit is exhausted; `sysctl` names the setting to raise.
    case limitReached(what: String, sysctl: String)
    case system(operation: String, code: Int32)

    public var description: String {
        switch self {
        case .limitReached(let what, let sysctl):
            "the limit on \(what) is reached; raise it, for example: sudo sysctl \(sysctl)=\(sysctl.hasSuffix("watches") ? 524288 : 1024)"
        case .system(let operation, let code):
            "\(operation): \(String(cString: strerror(code)))"
        }
    }
}
