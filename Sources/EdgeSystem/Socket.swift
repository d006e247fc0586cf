import CSystem
import Glibc

/// A non-blocking TCP socket file descriptor, with each system call wrapped once.
///
/// A value type over the raw descriptor, in the manner of swift-system's `FileDescriptor`: it
/// owns nothing by itself, so `close()` is explicit.
public struct Socket: Hashable, Sendable {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    /// A listening socket bound to `host:port` (port 0 picks a free port), non-blocking.
    /// `reusePort` sets `SO_REUSEPORT`, so that several processes can listen on one port.
    public static func listen(host: String, port: Int, backlog: Int32 = 4096, reusePort: Bool = false)
        throws(SystemError) -> Socket
    {
        try withAddress(host: host, port: port, passive: true) { address throws(SystemError) in
            let fd = socket(
                address.ai_family,
                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SystemError.current("socket") }
            let socket = Socket(fd: fd)
            do throws(SystemError) {
                try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
                if reusePort { try socket.setOption(SOL_SOCKET, SO_REUSEPORT, 1) }
                guard bind(fd, address.ai_addr, address.ai_addrlen) == 0 else {
                    throw SystemError.current("bind \(host):\(port)")
                }
                guard Glibc.listen(fd, backlog) == 0 else { throw SystemError.current("listen") }
            } catch {
                socket.close()
                throw error
            }
            return socket
        }
    }

    /// A blocking connection to `host:port` (for small command-line clients), whose reads give
    /// up after `timeoutSeconds`.
    public static func connect(host: String, port: Int, timeoutSeconds: Int = 5) throws(SystemError) -> Socket {
        try withAddress(host: host, port: port, passive: false) { address throws(SystemError) in
            let fd = socket(address.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SystemError.current("socket") }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard Glibc.connect(fd, address.ai_addr, address.ai_addrlen) == 0 else {
                let error = SystemError.current("connect \(host):\(port)")
                Glibc.close(fd)
                throw error
            }
            return Socket(fd: fd)
        }
    }

    /// The first address `host:port` resolves to (numeric port; `passive` for binding).
    private static func withAddress(
        host: String, port: Int, passive: Bool, _ body: (addrinfo) throws(SystemError) -> Socket
    ) throws(SystemError) -> Socket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = (passive ? AI_PASSIVE : 0) | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SystemError("resolve \(host): \(String(cString: gai_strerror(status)))", code: EINVAL)
        }
        defer { freeaddrinfo(list) }
        return try body(first.pointee)
    }

    /// Accepts one connection, non-blocking; nil when none is waiting.
    public func accept() throws(SystemError) -> Socket? {
        while true {
            do {
                return try unlessWouldBlock("accept") {
                    accept4(fd, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                }.map(Socket.init(fd:))
            } catch  where error.code == ECONNABORTED {
                continue  // the client gave up while queued: take the next one
            }
        }
    }

    /// Reads into `buffer`; returns the count, 0 at end of stream, nil when it would block.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        try unlessWouldBlock("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes what it can of `buffer`; returns the count, nil when it would block.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(SystemError) -> Int? {
        try unlessWouldBlock("write") { send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    public func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemError.current("setsockopt")
        }
    }

    /// Non-blocking and close-on-exec, for a listening socket inherited from another process:
    /// the compilers this process starts must not hold it open.
    public func setNonBlocking() throws(SystemError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { throw SystemError.current("fcntl") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Disables Nagle's algorithm: responses are written whole, and waiting only adds latency.
    public func setNoDelay() {
        try? setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    /// Stops reading (the peer sees its further writes fail) while still letting us write.
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    public func close() { _ = Glibc.close(fd) }

    /// The local address's port (after binding to port 0).
    public var localPort: Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Self.describe(storage).port
    }

    /// The peer's address as `host:port` (IPv6 hosts in brackets), and whether it is loopback.
    public var peer: (address: String, isLoopback: Bool) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard ok == 0 else { return ("unknown", false) }
        let (host, port, loopback) = Self.describe(storage)
        return ("\(Self.urlHost(host)):\(port)", loopback)
    }

    /// `host` as it goes before `:port` in an address or a URL: an IPv6 address in brackets.
    public static func urlHost(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }

    private static func describe(_ storage: sockaddr_storage) -> (host: String, port: Int, isLoopback: Bool) {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var addr = address.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                    let host = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                    let loopback = (UInt32(bigEndian: addr.s_addr) >> 24) == 127
                    return (host, Int(UInt16(bigEndian: address.pointee.sin_port)), loopback)
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var addr = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                    let host = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                    let loopback = host == "::1" || host.hasPrefix("::ffff:127.")
                    return (host, Int(UInt16(bigEndian: address.pointee.sin6_port)), loopback)
                }
            }
        default:
            return ("unknown", 0, false)
        }
    }
}
