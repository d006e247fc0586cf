#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The host's own output, written with `write(2)` straight to a file descriptor.
///
/// Never `print`: a handler that traps inside `print` leaves the stdout lock held for ever, and
/// every later `print` in the process would hang (architecture.md, "Crash barrier").
public enum HostLog {
    /// Writes `text` to standard output in full, retrying short writes and EINTR.
    public static func out(_ text: String) { write(text, to: 1) }

    /// Writes `text` to standard error in full.
    public static func err(_ text: String) { write(text, to: 2) }

    /// Writes one line (a newline is added) to standard output.
    public static func line(_ text: String) { out(text + "\n") }

    public static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0), to: fd) }
    }

    /// Writes `bytes` in full, retrying short writes and EINTR.
    public static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            #if canImport(Glibc)
                let n = Glibc.write(fd, base, remaining)
            #else
                let n = Darwin.write(fd, base, remaining)
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            remaining -= n
            base += n
        }
    }
}

/// Terminal styling that switches itself off when output is not a terminal or `NO_COLOR` is set
/// (https://no-color.org).
public struct TerminalStyle: Sendable {
    public let enabled: Bool

    public init(fd: Int32) {
        enabled = isatty(fd) == 1 && getenv("NO_COLOR") == nil
    }

    public init(enabled: Bool) { self.enabled = enabled }

    public func red(_ s: String) -> String { wrap(s, "31") }
    public func green(_ s: String) -> String { wrap(s, "32") }
    public func yellow(_ s: String) -> String { wrap(s, "33") }
    public func cyan(_ s: String) -> String { wrap(s, "36") }
    public func bold(_ s: String) -> String { wrap(s, "1") }
    public func dim(_ s: String) -> String { wrap(s, "2") }

    private func wrap(_ s: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
    }
}
