import Dispatch

/// Makes libdispatch create its timer descriptors now, while descriptors are plentiful.
///
/// libdispatch (which runs Swift concurrency's executor on Linux) opens one `timerfd` per clock
/// (monotonic, uptime, wall) the first time a timer on that clock is armed, and traps (`ud2`,
/// SIGILL, no message) when that `timerfd_create` fails. A server that had used up its open-files
/// limit on connections died at its first `Task.sleep` on a clock not used before: seen in the
/// out-of-descriptors test under a loaded run, and reproduced with a 64-descriptor limit by
/// a `Task.sleep`, a `SuspendingClock` sleep or an `asyncAfter` after the descriptors ran out,
/// never when each clock had armed one timer first. The descriptors stay open once made.
public enum DispatchTimers {
    /// Arms and waits for one short timer on each of libdispatch's clocks.
    public static func prepare() async {
        try? await Task.sleep(for: .milliseconds(1))  // ContinuousClock: monotonic
        try? await SuspendingClock().sleep(for: .milliseconds(1))  // uptime
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(1)) { done.resume() }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(wallDeadline: .now() + .milliseconds(1)) { done.resume() }
        }
    }
}
