import EdgeSystem
import Glibc
import Synchronization

/// What a loop does when `accept` fails for want of file descriptors.
///
/// The kernel keeps the connection queued, so the level-triggered listener stays readable and
/// `accept` fails again at once: a loop that just retried spun at 200% CPU and wrote 16 million
/// identical log lines (1.2 GB) in 25 s, while `/hello` timed out. Instead the loop stops
/// watching the listener for a short pause (connections already open keep being served, and
/// closing them frees descriptors), and says so once per interval, with the count.
struct AcceptBackoff {
    /// How long accepting pauses after a shortage.
    static let pause: UInt64 = 100_000_000
    /// At most one log line per this interval.
    static let logInterval: UInt64 = 5_000_000_000

    /// Monotonic nanoseconds until which the listener is not watched; 0 while accepting.
    private(set) var pausedUntil: UInt64 = 0
    private var shortagesSinceLog = 0
    /// One line per interval for the whole server, whichever loop hits the shortage.
    private let gate: LogGate

    init(gate: LogGate) { self.gate = gate }

    var isPaused: Bool { pausedUntil != 0 }

    static func isShortage(_ error: SystemError) -> Bool {
        error.code == EMFILE || error.code == ENFILE || error.code == ENOBUFS || error.code == ENOMEM
    }

    /// Starts a pause at `now`; returns the line to log when one is due. `reason` says why
    /// accepting stopped (the error, or the connection limit).
    mutating func shortage(_ reason: String, now: UInt64, openConnections: Int) -> String? {
        pausedUntil = now &+ Self.pause
        shortagesSinceLog += 1
        guard gate.claim(now: now, interval: Self.logInterval) else { return nil }
        let line =
            "edge-dev: cannot accept connections: \(reason); \(openConnections) open on this loop, "
            + "open-files limit \(currentOpenFileLimit()); pausing accepts for \(Self.pause / 1_000_000) ms "
            + "(\(shortagesSinceLog) time\(shortagesSinceLog == 1 ? "" : "s") since the last report)\n"
        shortagesSinceLog = 0
        return line
    }

    /// True when a pause has ended at `now` (the listener should be watched again).
    mutating func pauseEnded(now: UInt64) -> Bool {
        guard pausedUntil != 0, now >= pausedUntil else { return false }
        pausedUntil = 0
        return true
    }

    /// Milliseconds until the pause ends (for the loop's wait), at most `cap`.
    func millisecondsLeft(now: UInt64, cap: Int32) -> Int32 {
        guard pausedUntil > now else { return pausedUntil == 0 ? cap : 0 }
        return min(cap, Int32((pausedUntil - now) / 1_000_000) + 1)
    }
}

/// When a server's loops last logged a shortage: the first loop past the interval claims it.
final class LogGate: Sendable {
    private let last = Atomic<UInt64>(0)

    func claim(now: UInt64, interval: UInt64) -> Bool {
        let previous = last.load(ordering: .relaxed)
        guard previous == 0 || now &- previous >= interval else { return false }
        return last.compareExchange(expected: previous, desired: now, ordering: .relaxed).exchanged
    }
}
