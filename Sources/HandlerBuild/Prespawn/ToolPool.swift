import EdgeSystem
import Glibc
import Synchronization

/// Prespawned processes of the build's tools (`PrespawnedProcess`), ready for the next save.
///
/// A build takes one per step when one is ready and starts the tool as before when none is; the
/// pool is filled again when no build runs, so a replacement's start never competes with a
/// build. A held process costs about 6 MB of private memory (`swift-frontend`; `ld.lld` about
/// 3 MB), the rest of its 50 MB is the page cache every compile shares.
final class ToolPool: Sendable {
    private struct State {
        var shim: String?
        var shimFailed = false
        /// Held processes that ended before saying they were ready, in a row.
        var failures = 0
        var held: [String: [PrespawnedProcess]] = [:]
        var filling = false
        var closed = false
    }

    private let state = Mutex(State())
    /// How many of each tool to keep (as many frontends and linkers; `HandlerCompiler` chooses).
    let capacity: [String: Int]
    private let buildShim: @Sendable () async -> String?
    /// The compiler's builds: the pool is filled only when none runs.
    private let builds: RunningBuilds

    init(capacity: [String: Int], builds: RunningBuilds, buildShim: @escaping @Sendable () async -> String?) {
        self.capacity = capacity
        self.builds = builds
        self.buildShim = buildShim
    }

    deinit { close() }

    /// A held `tool`, ready to be handed its work; nil when none is (start it as usual then).
    /// Never waits: the oldest held process has usually been ready for long, and one still
    /// starting stays in the pool for the next build.
    func take(_ tool: String) -> PrespawnedProcess? {
        guard let process = state.withLock({ $0.held[tool]?.isEmpty == false ? $0.held[tool]!.removeFirst() : nil })
        else { return nil }
        switch process.readiness() {
        case .ready:
            state.withLock { $0.failures = 0 }
            return process
        case .starting:
            state.withLock { $0.held[tool, default: []].insert(process, at: 0) }
            return nil
        case .gone:
            process.discard()
            // Ended without saying it was ready, three times running: the shim does not work
            // here (a one-off, such as the OOM killer, does not turn the pool off).
            let failed = state.withLock { state -> Bool in
                state.failures += 1
                if state.failures >= 3 { state.shimFailed = true }
                return state.shimFailed
            }
            if failed {
                HostLog.err(
                    "edge-dev: held \(FilePath.lastComponent(tool)) processes did not start; tools start unheld from now on\n"
                )
                drain()
            }
            return nil
        }
    }

    /// How many of `tool` are held now.
    func heldCount(_ tool: String) -> Int { state.withLock { $0.held[tool]?.count ?? 0 } }

    /// Starts processes up to capacity, in the background (the first time after building the
    /// shim), unless a build is running.
    func refill() {
        let go = state.withLock { state -> Bool in
            guard !state.filling, !state.closed, !state.shimFailed, builds.isIdle else { return false }
            state.filling = true
            return true
        }
        guard go else { return }
        Task.detached(priority: .utility) { [self] in
            let shim: String?
            if let known = state.withLock({ $0.shim }) {
                shim = known
            } else {
                shim = await buildShim()
                state.withLock {
                    $0.shim = shim
                    if shim == nil { $0.shimFailed = true }
                }
            }
            if let shim { fill(shim) }
            state.withLock { $0.filling = false }
        }
    }

    private func fill(_ shim: String) {
        for (tool, wanted) in capacity {
            // A build that starts meanwhile gets the ones started so far, not the CPU for more.
            while builds.isIdle && state.withLock({ !$0.closed && ($0.held[tool]?.count ?? 0) < wanted }) {
                guard let process = try? PrespawnedProcess(executable: tool, shim: shim) else { return }
                let kept = state.withLock { state -> Bool in
                    guard !state.closed else { return false }
                    state.held[tool, default: []].append(process)
                    return true
                }
                if !kept { process.discard() }
            }
        }
    }

    /// Ends every held process (at shutdown; they also end by themselves when this process does).
    func drain() {
        let all = state.withLock { state -> [PrespawnedProcess] in
            defer { state.held = [:] }
            return state.held.values.flatMap { $0 }
        }
        for process in all { process.discard() }
    }

    /// No more processes are started; those held end.
    func close() {
        state.withLock { $0.closed = true }
        drain()
    }
}
