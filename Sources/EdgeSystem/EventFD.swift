import CSystem
import Glibc

/// An eventfd: the cheapest way for another thread to wake an epoll loop.
public struct EventFD: Sendable {
    public let fd: Int32

    public init() throws(SystemError) {
        fd = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw SystemError.current("eventfd") }
    }

    public func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    public func drain() {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }
}
