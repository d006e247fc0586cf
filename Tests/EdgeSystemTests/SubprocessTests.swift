import EdgeSystem
import Glibc
import Testing

@Suite struct SubprocessTests {
    @Test func aChildPastItsTimeoutIsKilledAndReportedTimedOut() async throws {
        let started = ContinuousClock.now
        await #expect(throws: Subprocess.TimedOut.self) {
            _ = try await Subprocess.run("/bin/sleep", ["30"], outputFile: "/dev/null", timeout: .milliseconds(200))
        }
        #expect(ContinuousClock.now - started < .seconds(10), "the child was killed, not waited out")
    }

    @Test func aChildsExitStatusIsReturned() async throws {
        #expect(try await Subprocess.run("/bin/sh", ["-c", "exit 7"], outputFile: "/dev/null") == 7)
        #expect(try await Subprocess.run("/bin/sh", ["-c", "kill -9 $$"], outputFile: "/dev/null") == 128 + 9)
    }

    /// A child that exited in time is not reported as timed out because the task awaiting it
    /// ran after the deadline (a starved executor): here every job of the task is held 600 ms
    /// against a 300 ms timeout for a child that exits at once.
    @Test func aChildThatExitedInTimeIsNotTimedOutByALateResumption() async throws {
        let status = try await withTaskExecutorPreference(LateExecutor()) {
            try await Subprocess.run("/bin/true", [], outputFile: "/dev/null", timeout: .milliseconds(300))
        }
        #expect(status == 0)
    }
}

/// Runs each job 600 ms after it is enqueued, on a thread of its own.
private final class LateExecutor: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        _ = try? startThread(name: "late-job") {
            usleep(600_000)
            job.runSynchronously(on: executor)
        }
    }
}
