#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed system call: which call, and the `errno` it left.
///
/// Every Glibc call in Gateway is wrapped once and reports failure as this type, so the rest of the
/// code never reads the global `errno`.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// The error for the `errno` the last call left.
    public static func current(_ operation: String) -> SystemError {
        SystemError(operation, code: errno)
    }

    public var description: String {
        "\(operation): \(String(cString: strerror(code))) (errno \(code))"
    }

    public var isInterrupted: Bool { code == EINTR }
    public var wouldBlock: Bool { code == EAGAIN || code == EWOULDBLOCK }
}

/// Retries `body` while it fails with EINTR; returns its non-negative result or throws.
@inline(__always)
func retryingOnInterrupt<T: FixedWidthInteger>(_ operation: String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let error = SystemError.current(operation)
        if !error.isInterrupted { throw error }
    }
}
