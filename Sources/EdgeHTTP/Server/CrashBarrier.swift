import CSystem
import EdgeSystem
import Glibc
import Synchronization

/// The crash barrier: a trap in handler code costs that request a 500, not the process.
///
/// Swift cannot catch a trap, so this is built from the bottom (docs/architecture.md, "Crash
/// barrier"): handler jobs run on the event-loop threads under a guard (`CrashGuard.c`). When one
/// traps, the signal handler writes a record to a pipe and ends that thread. The monitor thread
/// here reads the record, takes the runtime's fatal message, and starts a new thread that answers
/// the crashed request and carries the loop on. Traps outside guarded code go to the action that
/// was installed before ours (Swift's backtracer), as if we were not there.
///
/// The monitor is also the loops' watchdog: a handler that holds a loop's thread too long (a busy
/// loop, a blocking call) is left with that thread, and the loop moves to a new one.
final class CrashBarrier: @unchecked Sendable {
    static let shared = CrashBarrier()

    private struct Registered {
        /// Strong, not weak: a weak reference gives the loop a side table, which sends every
        /// retain and release of it (several per request) down the runtime's slow path. A loop
        /// unregisters itself when it stops.
        var loop: EventLoop?
        /// The busy `runState` seen last, and when it was first seen.
        var seenState: UInt64 = 0
        var seenSince: UInt64 = 0
    }

    private let loops = Mutex<[UInt64: Registered]>([:])
    private let nextSlot = Atomic<UInt64>(1)
    private let started = Mutex<Bool>(false)
    private var readEnd: Int32 = -1

    /// Registers a loop (installing the barrier on first use); returns its slot.
    func register(_ loop: EventLoop) -> UInt64 {
        startIfNeeded()
        let slot = nextSlot.wrappingAdd(1, ordering: .relaxed).oldValue
        loops.withLock { $0[slot] = Registered(loop: loop) }
        return slot
    }

    func unregister(_ slot: UInt64) {
        _ = loops.withLock { $0.removeValue(forKey: slot) }
    }

    private func startIfNeeded() {
        started.withLock { started in
            guard !started else { return }
            started = true
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else {
                HostLog.err("edge-dev: crash barrier off: \(SystemError.current("pipe"))\n")
                return
            }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            readEnd = ends[0]
            let result = edge_guard_install(ends[1])
            guard result == 0 else {
                HostLog.err("edge-dev: crash barrier off: \(SystemError("sigaction", code: result))\n")
                return
            }
            do {
                try startThread(name: "edge-barrier") { self.monitor() }
            } catch {
                HostLog.err("edge-dev: crash barrier off: \(error)\n")
            }
        }
    }

    // MARK: - Monitor

    private func monitor() {
        var record = edge_crash_record()
        let size = MemoryLayout<edge_crash_record>.size
        while true {
            var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready > 0 {
                let count = withUnsafeMutableBytes(of: &record) { read(readEnd, $0.baseAddress, size) }
                if count == size { recover(record) }
            }
            watchForStalls()
        }
    }

    /// A guarded thread trapped and is gone (or going): answer its request and give its loop a
    /// new thread.
    private func recover(_ record: edge_crash_record) {
        var message: String?
        if let raw = UnsafeMutablePointer<CChar>(bitPattern: UInt(record.message)) {
            message = String(cString: raw)
            free(raw)
        }
        let image = imageLocation(containing: record.pc)
        let crash = HandlerCrash(
            signal: record.signal, message: message, faultAddress: record.address, programCounter: record.pc,
            imagePath: image?.path, imageOffset: image?.offset ?? 0, time: time(nil))
        // The trapped thread's stack still holds a reference to the request: it is alive.
        guard let pointer = UnsafeRawPointer(bitPattern: UInt(record.token)) else { return }
        let request = Unmanaged<InFlightRequest>.fromOpaque(pointer).takeUnretainedValue()
        request.markTrapped()
        let loop = loops.withLock { $0[record.slot]?.loop }
        let busy = record.generation << 1 | 1
        if let loop,
            loop.runState.compareExchange(
                expected: busy, desired: EventLoop.abandoned, ordering: .acquiringAndReleasing
            )
            .exchanged
        {
            loop.resumeOnNewThread(after: (request, .crashed(crash)), trapped: true)
        } else {
            // The thread had already been left behind by the watchdog: the loop runs elsewhere.
            request.fail(.crashed(crash))
        }
    }

    private func watchForStalls() {
        let now = MonotonicClock.nanoseconds()
        let stalled = loops.withLock { loops -> [(EventLoop, UInt64)] in
            var stalled: [(EventLoop, UInt64)] = []
            for (slot, var entry) in loops {
                guard let loop = entry.loop else { continue }
                let state = loop.runState.load(ordering: .acquiring)
                guard state & 1 == 1, state != EventLoop.abandoned else { continue }
                if entry.seenState != state {
                    entry.seenState = state
                    entry.seenSince = now
                    loops[slot] = entry
                } else if now &- entry.seenSince >= loop.server.configuration.stallThreshold.nanoseconds {
                    stalled.append((loop, state))
                }
            }
            return stalled
        }
        for (loop, state) in stalled {
            guard
                loop.runState.compareExchange(
                    expected: state, desired: EventLoop.abandoned, ordering: .acquiringAndReleasing
                ).exchanged
            else { continue }
            let threshold = loop.server.configuration.stallThreshold
            HostLog.err(
                "edge-dev: a handler has held event loop \(loop.index) for over \(threshold) without yielding; "
                    + "it keeps that thread, and the loop goes on on a new one\n")
            loop.resumeOnNewThread(after: nil, trapped: false)
        }
    }
}
