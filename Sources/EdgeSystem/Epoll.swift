import CSystem
import Glibc

/// An epoll instance (edge-triggered use is up to the caller), and an eventfd to wake it.
public final class Epoll {
    public let fd: Int32
    private var events: [epoll_event]

    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Interest(rawValue: EPOLLIN.rawValue)
        public static let writable = Interest(rawValue: EPOLLOUT.rawValue)
        public static let hangup = Interest(rawValue: EPOLLRDHUP.rawValue)
        public static let edgeTriggered = Interest(rawValue: EPOLLET.rawValue)
        public static let exclusive = Interest(rawValue: 1 << 28)  // EPOLLEXCLUSIVE
    }

    public struct Event {
        public let fd: Int32
        public let readable: Bool
        public let writable: Bool
        /// Error or hang-up: the peer is gone.
        public let closed: Bool
    }

    public init(capacity: Int = 256) throws(SystemError) {
        fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw SystemError.current("epoll_create1") }
        events = Array(repeating: epoll_event(), count: capacity)
    }

    deinit { close(fd) }

    public func add(_ target: Int32, _ interest: Interest) throws(SystemError) {
        try control(EPOLL_CTL_ADD, target, interest)
    }

    public func remove(_ target: Int32) {
        _ = epoll_ctl(fd, EPOLL_CTL_DEL, target, nil)
    }

    private func control(_ operation: Int32, _ target: Int32, _ interest: Interest) throws(SystemError) {
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.fd = target
        guard epoll_ctl(fd, operation, target, &event) == 0 else { throw SystemError.current("epoll_ctl") }
    }

    /// Waits up to `timeoutMilliseconds` (-1: for ever) and calls `body` for each ready event.
    public func wait(timeoutMilliseconds: Int32, _ body: (Event) -> Void) {
        let count = events.withUnsafeMutableBufferPointer {
            epoll_wait(fd, $0.baseAddress, Int32($0.count), timeoutMilliseconds)
        }
        guard count > 0 else { return }
        for index in 0..<Int(count) {
            let event = events[index]
            let flags = event.events
            body(
                Event(
                    fd: event.data.fd,
                    readable: flags & EPOLLIN.rawValue != 0,
                    writable: flags & EPOLLOUT.rawValue != 0,
                    closed: flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0))
        }
    }
}
