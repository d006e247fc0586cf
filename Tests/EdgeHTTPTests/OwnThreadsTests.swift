import Dispatch
import EdgeTestSupport
import Glibc
import Testing

/// The test kit's `.onOwnThreads`: blocking test code must not starve the cooperative pool.
@Suite(.onOwnThreads) struct OwnThreadsTests {
    /// More child tasks than the cooperative pool has threads each block until all have started:
    /// on the pool they would wait for one another forever, on threads of their own they meet.
    @Test func moreBlockedTasksThanCoresAllRun() async {
        let count = 2 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) + 2
        let arrived = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        let met = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    arrived.signal()
                    return proceed.wait(timeout: .now() + 20) == .success
                }
            }
            group.addTask {
                for _ in 0..<count where arrived.wait(timeout: .now() + 20) != .success { return false }
                for _ in 0..<count { proceed.signal() }
                return true
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(met)
    }
}
