import Synchronization

/// How many connections the server holds open at once, across its loops: the open-files limit
/// less a reserve, so connections alone never use up the descriptors that everything else in
/// the process needs (libdispatch's timers, SQLite's files, a handler's own files, the
/// backtracer's pipes). At the limit a loop stops accepting for a short pause, as for `EMFILE`;
/// the kernel keeps the rest queued.
final class ConnectionLimit: Sendable {
    /// The most connections open at once.
    let maximum: Int
    /// The open-files limit it was computed from.
    let openFileLimit: Int
    private let open = Atomic<Int>(0)

    /// `inUse` descriptors are already open (a parent may have left many open for this
    /// process: a test runner's were 40); of the rest a quarter is kept for files, at least 16
    /// and at most 256 (a limit of 128 with 23 in use gives 79 connections; Debian's hard limit
    /// of 524,288 with 30 in use gives 524,002).
    /// `cap`, when given, lowers the maximum further.
    init(openFileLimit: Int, inUse: Int, cap: Int? = nil) {
        self.openFileLimit = openFileLimit
        guard openFileLimit > 0 else {  // getrlimit failed: no limit of our own
            maximum = cap ?? Int.max / 2
            return
        }
        let free = openFileLimit - inUse
        let reserve = min(256, max(16, free / 4))
        maximum = max(1, min(cap ?? Int.max, free - reserve))
    }

    var current: Int { open.load(ordering: .relaxed) }

    /// Takes a slot for a connection about to be accepted; false at the limit.
    func take() -> Bool {
        var now = open.load(ordering: .relaxed)
        while now < maximum {
            let (exchanged, original) = open.compareExchange(
                expected: now, desired: now + 1, ordering: .relaxed)
            if exchanged { return true }
            now = original
        }
        return false
    }

    /// Gives back a slot (a connection closed, or one taken was never accepted).
    func release() { open.wrappingSubtract(1, ordering: .relaxed) }
}
