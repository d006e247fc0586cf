import Dispatch
import Glibc
import Synchronization

/// Runs a tool of the toolchain as a child process, with its output sent to a file.
///
/// Output goes to a file rather than a pipe so a compiler that writes a lot can never block on a
/// full pipe; the compiler reads it back afterwards. Cancelling the awaiting task kills the child,
/// which is how a newer save supersedes a build in progress.
package enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Children still running: a gateway that exits must not leave a compiler behind it that
    /// type-checks for minutes.
    private static let running = Mutex<Set<pid_t>>([])

    /// Kills every child still running (at shutdown).
    package static func killAll() {
        for pid in running.withLock({ $0 }) { kill(pid, SIGKILL) }
    }

    /// The child ran past its `timeout` and was killed.
    package struct TimedOut: Error {}

    /// Runs `executable` with `arguments`; returns its exit status (128 + signal if killed).
    /// Past `timeout` the child is killed and `TimedOut` thrown.
    package static func run(
        _ executable: String, _ arguments: [String], outputFile: String,
        environment overrides: [String: String] = [:], timeout: Duration? = nil
    ) async throws -> Int32 {
        if let timeout, timeout <= .zero { throw TimedOut() }
        let pid = try spawn(executable, arguments, outputFile: outputFile, overrides: overrides)
        return try await wait(for: pid, timeout: timeout)
    }

    /// Waits for the child `pid` to exit and returns its status, killing it past `timeout` (then
    /// `TimedOut` is thrown) or when the awaiting task is cancelled.
    ///
    /// Whether the child exited or was killed is settled once, while it is still unreaped: a kill
    /// never reaches a reaped (possibly reused) pid, and a child that exited in time is never
    /// reported as timed out because the awaiting task resumed late (a starved executor once made
    /// a 150 ms compile "time out" at 30 s).
    static func wait(for pid: pid_t, timeout: Duration?) async throws -> Int32 {
        running.withLock { _ = $0.insert(pid) }
        defer { running.withLock { _ = $0.remove(pid) } }
        let outcome = Atomic<Outcome>(.running)
        let timer = timeout.map { timeout in
            let item = DispatchWorkItem { outcome.settle(.timedOut, killing: pid) }
            DispatchQueue.global().asyncAfter(
                deadline: .now() + .nanoseconds(Int(min(timeout.nanoseconds, UInt64(Int.max)))), execute: item)
            return item
        }
        let status = await withTaskCancellationHandler {
            let wait: @Sendable () -> Int32 = {
                waitUntilExited(pid)
                outcome.settle(.exited, killing: nil)
                return waitForExit(pid)
            }
            // A thread of its own (started while the child runs), not one of Dispatch's: on Linux
            // Swift's tasks run on Dispatch's default pool too, and gdb found 25 of its threads
            // blocked here in the test process while tasks waited for one.
            if let status = try? await onOwnThread(name: "edge-wait", wait) { return status }
            return await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: wait()) }
            }
        } onCancel: {
            outcome.settle(.cancelled, killing: pid)
        }
        timer?.cancel()
        if outcome.load(ordering: .acquiring) == .timedOut { throw TimedOut() }
        return status
    }

    /// How a waited-for child ended; the first to settle it wins.
    enum Outcome: UInt8, AtomicRepresentable {
        case running, exited, timedOut, cancelled
    }

    /// Blocks until `pid` has exited, leaving it unreaped (a zombie) so that its pid stays its own.
    static func waitUntilExited(_ pid: pid_t) {
        var info = siginfo_t()
        _ = try? retryingOnInterrupt("waitid") { waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) }
    }

    /// This process's environment with `overrides` put in: `NAME=VALUE` strings.
    package static func environment(with overrides: [String: String]) -> [String] {
        var environment: [String] = []
        var index = 0
        while let entry = environ[index] {
            let pair = String(cString: entry)
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? pair
            if overrides[name] == nil { environment.append(pair) }
            index += 1
        }
        return environment + overrides.map { "\($0.key)=\($0.value)" }
    }

    /// Starts `executable`: standard input from /dev/null, output and errors to `outputFile`,
    /// and `handOver` (a descriptor of this process) as the child's descriptor 3 when given.
    package static func spawn(
        _ executable: String, _ arguments: [String], outputFile: String, overrides: [String: String] = [:],
        handOver: Int32? = nil
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // dup2 clears close-on-exec on the copy only: the child keeps 3, not the original.
        if let handOver { posix_spawn_file_actions_adddup2(&actions, handOver, 3) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment(with: overrides).map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // The child starts with no signal blocked and the usual dispositions: a spawn from a
        // thread with signals blocked (Dispatch's) or from a process ignoring SIGPIPE would hand
        // both on, and a long-lived held tool would then ignore SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Reaps `pid` once it exits, without waiting for it here (on a thread of its own, as `wait`).
    static func reapInBackground(_ pid: pid_t) {
        let reap: @Sendable () -> Void = { _ = waitForExit(pid) }
        do { try startThread(name: "edge-reap", reap) } catch { DispatchQueue.global().async(execute: reap) }
    }

    static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        guard (try? retryingOnInterrupt("waitpid", { waitpid(pid, &status, 0) })) != nil else { return -1 }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

extension Atomic<Subprocess.Outcome> {
    /// Records `outcome` if nothing was recorded yet and then sends `pid` SIGKILL when given.
    fileprivate func settle(_ outcome: Subprocess.Outcome, killing pid: pid_t?) {
        guard compareExchange(expected: .running, desired: outcome, ordering: .acquiringAndReleasing).exchanged
        else { return }
        if let pid { kill(pid, SIGKILL) }
    }
}
