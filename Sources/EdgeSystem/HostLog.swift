import Glibc

/// The host's own output, written with `write(2)` straight to a file descriptor.
///
/// Never `print`: a handler that traps inside `print` leaves the stdout lock held for ever, and
/// every later `print` in the process would hang (docs/architecture.md, "Crash barrier").
public enum HostLog {
    /// Writes `text` to standard output in full, retrying short writes and EINTR.
    public static func out(_ text: String) { write(text, to: 1) }

    /// Writes `text` to standard error in full.
    public static func err(_ text: String) { write(text, to: 2) }

    /// Writes one line (a newline is added) to standard output.
    public static func line(_ text: String) { out(text + "\n") }

    /// Writes `text` in full to `fd`.
    public static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0), to: fd) }
    }

    /// Writes `bytes` in full, retrying short writes and EINTR.
    public static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            guard let n = try? retryingOnInterrupt("write", { Glibc.write(fd, base, remaining) }) else { return }
            remaining -= n
            base += n
        }
    }
}
