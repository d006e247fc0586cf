import Dispatch
import EdgeSystem
import Synchronization
import Testing

/// Runs every test of a suite on threads of its own (`@Suite(.onOwnThreads)`), where a blocking
/// call (a raw socket client waiting for an answer, a `usleep`, polling a child process) ties up
/// only that thread.
///
/// Without it a test body runs on Swift's cooperative pool, one thread per core: on a two-core
/// machine two tests blocked on a server had the whole test process waiting, and the in-process
/// servers' handler tasks and build continuations with it (a CI run saw trivial tests "pass after
/// 33 s" and a 150 ms clang compile reported as past its 30 s timeout). The server code under test
/// still runs its own tasks (`Task {}` does not inherit a preference) on the cooperative pool.
package struct OnOwnThreadsTrait: SuiteTrait, TestTrait, TestScoping {
    package var isRecursive: Bool { true }

    package func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? { testCase == nil ? nil : self }

    package func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(BlockingWorkExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OnOwnThreadsTrait {
    /// Each test (and the child tasks it starts) runs on threads where blocking is harmless.
    package static var onOwnThreads: Self { OnOwnThreadsTrait() }
}

/// A task executor that never makes a job wait for a busy thread: an idle thread takes the job,
/// or a new one is started. Threads stay for the next job; their number is the most jobs that
/// were ever running at once (a few dozen for the whole suite).
package final class BlockingWorkExecutor: TaskExecutor {
    package static let shared = BlockingWorkExecutor()

    private struct State {
        var jobs: [UnownedJob] = []
        var idleThreads = 0
    }
    private let state = Mutex(State())
    /// Signalled once per job handed to an idle thread.
    private let wake = DispatchSemaphore(value: 0)

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let idle = state.withLock { state in
            state.jobs.append(job)
            guard state.idleThreads > 0 else { return false }
            state.idleThreads -= 1
            return true
        }
        if idle {
            wake.signal()
        } else {
            // A test process that cannot start a thread cannot run its tests either.
            do { try startThread(name: "test-body") { [self] in work() } } catch { fatalError("\(error)") }
        }
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        while true {
            let job = state.withLock { state -> UnownedJob? in
                if state.jobs.isEmpty {
                    state.idleThreads += 1
                    return nil
                }
                return state.jobs.removeFirst()
            }
            if let job {
                job.runSynchronously(on: executor)
            } else {
                wake.wait()
            }
        }
    }
}
