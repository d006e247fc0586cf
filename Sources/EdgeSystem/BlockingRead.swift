import Glibc

/// A blocking `read(2)` from a descriptor such as standard input, retried on EINTR: 0 at the
/// end of the input.
public func blockingRead(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
    try retryingOnInterrupt("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
}
