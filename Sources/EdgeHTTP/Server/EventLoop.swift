import CSystem
import EdgeSDK
import EdgeSystem
import Glibc
import Synchronization

/// One thread, one epoll instance, the connections it accepted, and a task executor.
///
/// Handler tasks are started with this loop as their executor preference, so a handler that does
/// not suspend runs to completion on the loop thread, right after its request was parsed, with no
/// thread hop (docs/architecture.md measured 38-46 µs for a hop). Connection state is touched only on
/// this thread.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    let index: Int
    unowned let server: HTTPServer
    /// The server's settings, copied: read on every event, and reading them through the unowned
    /// `server` would cost an atomic retain and release each time.
    let configuration: HTTPServer.Configuration
    let responder: any HTTPResponder
    let bodyBudget: BodyBudget
    private let listenerFD: Int32
    /// The loop's number with the crash barrier, unique in the process.
    private(set) var slot: UInt64 = 0
    private let epoll: Epoll
    private let wakeup: EventFD
    private let threadID = Atomic<UInt>(0)

    /// A job and the request it belongs to (nil for the host's own tasks).
    private struct QueuedJob {
        let job: UnownedJob
        let owner: InFlightRequest?
    }

    // Loop-thread state. A thread that the crash barrier took the loop from (it trapped, or ran
    // one job too long) touches none of it again: the next thread carries on from here.
    private var jobs: [QueuedJob] = []
    private var running: [QueuedJob] = []
    private var runningIndex = 0
    private var jobSequence: UInt64 = 0
    private var accepting = true
    private var acceptBackoff: AcceptBackoff
    private var connections: [Int32: Connection] = [:]
    private var lastSweep: UInt64 = 0
    private var requestIDs: RequestIDs
    private var accessLog: AccessLogBuffer
    var encoder = HTTPResponseEncoder()
    let scratch: UnsafeMutableRawBufferPointer

    /// The thread running the loop now, and its alternate signal stack; read by the barrier once
    /// it has taken the loop from that thread.
    private(set) var currentThread = pthread_t()
    private(set) var currentAltStack: UnsafeMutableRawPointer?

    /// `sequence << 1 | 1` while a guarded job runs, `sequence << 1` between jobs, and
    /// `abandoned` once the barrier has taken the loop from its thread. The thread and the
    /// barrier race for it with compare-and-exchange, so exactly one of them owns the loop.
    let runState = Atomic<UInt64>(0)
    static let abandoned = UInt64.max

    /// What other threads (and handler jobs) hand the loop: jobs, and work on loop state.
    private struct Remote {
        var jobs: [QueuedJob] = []
        var work: [@Sendable () -> Void] = []
    }
    private let remote = Mutex(Remote())
    private let hasRemoteJobs = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let connectionCount = Atomic<Int>(0)

    init(index: Int, server: HTTPServer) throws(SystemError) {
        self.index = index
        self.server = server
        configuration = server.configuration
        responder = server.responder
        bodyBudget = server.bodyBudget
        listenerFD = server.listener.fd
        acceptBackoff = AcceptBackoff(gate: server.acceptLogGate)
        requestIDs = RequestIDs(loop: index)
        accessLog = AccessLogBuffer(format: server.configuration.accessLogFormat)
        epoll = try Epoll(capacity: 512)
        wakeup = try EventFD()
        scratch = .allocate(byteCount: 64 * 1024, alignment: 16)
        try epoll.add(wakeup.fd, [.readable])
        try epoll.add(listenerFD, [.readable, .exclusive])
    }

    deinit { scratch.deallocate() }

    var openConnections: Int { connectionCount.load(ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .acquiring) }
    private var guardsJobs: Bool { configuration.crashBarrier }

    // MARK: - Executor

    /// True on the thread that owns the loop, outside handler jobs: only then may loop state be
    /// touched directly. Inside a handler job it is false, so whatever that job hands the loop
    /// (an answer, a child task) is queued and runs after the job, when the loop knows whether it
    /// still owns the thread: the barrier may have taken the loop meanwhile.
    var isLoopThread: Bool {
        isOwnThread && runState.load(ordering: .acquiring) & 1 == 0
    }

    /// True inside a request's guarded job on the thread that owns the loop: what the job hands
    /// the loop can wait in its request until the job returns (`runJobs` passes it on then),
    /// without the remote queue's lock, closure and wake-up flag.
    var isInOwnGuardedJob: Bool {
        isOwnThread && runState.load(ordering: .acquiring) & 1 == 1
    }

    /// True on the thread that runs the loop now (which may be in a handler job).
    private var isOwnThread: Bool { threadID.load(ordering: .acquiring) == UInt(pthread_self()) }

    /// Jobs of the host's own tasks (unguarded: a trap in host code is not a handler's fault).
    func enqueue(_ job: consuming ExecutorJob) {
        enqueue(QueuedJob(job: UnownedJob(job), owner: nil))
    }

    /// Jobs of a request's task.
    func enqueue(_ job: UnownedJob, for owner: InFlightRequest) {
        enqueue(QueuedJob(job: job, owner: owner))
    }

    private func enqueue(_ queued: QueuedJob) {
        if isLoopThread {
            jobs.append(queued)
        } else {
            remote.withLock { $0.jobs.append(queued) }
            signalRemote()
        }
    }

    /// Runs `body` on the loop thread: now if this is it (outside a handler job), otherwise
    /// queued for the loop.
    func onLoopThread(_ body: @escaping @Sendable () -> Void) {
        if isLoopThread {
            body()
        } else {
            queueRemote(body)
        }
    }

    /// Queues `body` for the loop's thread. `wakeAlways`: from a thread the barrier has just
    /// taken the loop from, which may still read as the loop's own for a moment.
    private func queueRemote(_ body: @escaping @Sendable () -> Void, wakeAlways: Bool = false) {
        remote.withLock { $0.work.append(body) }
        signalRemote(wakeAlways: wakeAlways)
    }

    /// The loop's own thread drains the remote queue right after the job it is in, so only other
    /// threads need to wake it.
    private func signalRemote(wakeAlways: Bool = false) {
        let first = !hasRemoteJobs.exchange(true, ordering: .acquiringAndReleasing)
        if (first && !isOwnThread) || wakeAlways { wakeup.signal() }
    }

    private func takeRemoteJobs() {
        guard hasRemoteJobs.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let work = remote.withLock { remote -> [@Sendable () -> Void] in
            jobs.append(contentsOf: remote.jobs)
            remote.jobs.removeAll(keepingCapacity: true)
            defer { remote.work.removeAll(keepingCapacity: true) }
            return remote.work
        }
        for body in work { body() }
    }

    /// Runs the queued jobs; false when the barrier took the loop from this thread meanwhile.
    ///
    /// A request's job runs under the crash guard: a trap ends this thread, and the barrier
    /// resumes the loop on a new one from `runningIndex` (which already points past the job).
    private func runJobs() -> Bool {
        while true {
            if runningIndex == running.count {
                running.removeAll(keepingCapacity: true)
                runningIndex = 0
                takeRemoteJobs()
                if jobs.isEmpty { return true }
                swap(&jobs, &running)
            }
            let queued = running[runningIndex]
            runningIndex += 1
            guard let owner = queued.owner, guardsJobs else {
                queued.job.runSynchronously(on: queued.owner?.asUnownedTaskExecutor() ?? asUnownedTaskExecutor())
                continue
            }
            // The rest of a request that trapped is dropped: its locks may be held, and its
            // answer was already sent.
            if owner.hasTrapped { continue }
            let sequence = jobSequence &+ 1
            jobSequence = sequence
            let busy = sequence << 1 | 1
            runState.store(busy, ordering: .releasing)
            edge_guard_enter(slot, sequence, UInt64(UInt(bitPattern: Unmanaged.passUnretained(owner).toOpaque())))
            queued.job.runSynchronously(on: owner.asUnownedTaskExecutor())
            edge_guard_leave()
            guard
                runState.compareExchange(expected: busy, desired: sequence << 1, ordering: .acquiringAndReleasing)
                    .exchanged
            else {
                // The barrier took the loop while the job ran: its answer goes to the new thread,
                // always through the queue (this thread may still read as the loop's own for a
                // moment, until the barrier has written the new owner).
                if let response = owner.takeHandedAnswer() {
                    queueRemote({ owner.connection?.answer(owner, with: .response(response)) }, wakeAlways: true)
                }
                return false
            }
            if let response = owner.takeHandedAnswer() { owner.connection?.answer(owner, with: .response(response)) }
        }
    }

    // MARK: - Threads

    /// Starts the loop on a new thread.
    func start() throws(SystemError) {
        if guardsJobs { slot = CrashBarrier.shared.register(self) }
        try startLoopThread(after: nil)
    }

    private func startLoopThread(after failure: (InFlightRequest, HandlerFailure)?) throws(SystemError) {
        let ready = Atomic<Bool>(false)
        _ = try startThread(name: "edge-loop-\(index)", joinable: true) { [self] in
            currentThread = pthread_self()
            currentAltStack = guardsJobs ? edge_guard_prepare_thread() : nil
            threadID.store(UInt(pthread_self()), ordering: .releasing)
            ready.store(true, ordering: .releasing)
            threadMain(after: failure)
        }
        // The new thread owns the loop state from here on; wait until it has said so, so the
        // barrier's next look at `currentThread` sees it.
        while !ready.load(ordering: .acquiring) { sched_yield() }
    }

    private func threadMain(after failure: (InFlightRequest, HandlerFailure)?) {
        let altStack = currentAltStack
        if let (request, failure) = failure { request.connection?.answer(request, with: .failure(failure)) }
        let finished = runLoop()
        if finished {
            flushLog()
            if slot != 0 { CrashBarrier.shared.unregister(slot) }
            stopped.store(true, ordering: .releasing)
        }
        if let altStack {
            edge_guard_forget_thread()
            edge_guard_free_stack(altStack)
        }
        // A thread the barrier took the loop from was detached by it.
        if finished { pthread_detach(pthread_self()) }
    }

    /// Called by the barrier, which has won `runState` from the loop's thread: `trapped` when
    /// that thread is gone (join it, free its signal stack), otherwise it is stuck in a handler
    /// and leaves by itself once the handler returns. A new thread carries on with the loop.
    func resumeOnNewThread(after failure: (InFlightRequest, HandlerFailure)?, trapped: Bool) {
        // The old thread is no longer the loop's: what it hands over from now on is queued.
        threadID.store(0, ordering: .releasing)
        if trapped {
            // A thread that cannot finish dying (it trapped inside malloc, say) must not stop
            // the barrier: after a while its stacks are left to it.
            if edge_guard_join_thread(currentThread, 2000) == 0 { edge_guard_free_stack(currentAltStack) }
        } else {
            // Stuck in a handler: it ends by itself once the handler returns (or traps).
            pthread_detach(currentThread)
        }
        currentAltStack = nil
        runState.store(jobSequence << 1, ordering: .releasing)
        do {
            try startLoopThread(after: failure)
        } catch {
            // The loop's connections would hang for ever: let the supervisor start afresh.
            HostLog.err("edge-dev: cannot start a thread to replace event loop \(index): \(error); restarting\n")
            _exit(70)
        }
    }

    // MARK: - Loop

    /// Returns true when the loop stopped, false when the barrier took it from this thread.
    private func runLoop() -> Bool {
        while true {
            if stopRequested.load(ordering: .relaxed) {
                if accepting {
                    accepting = false
                    if !acceptBackoff.isPaused { epoll.remove(listenerFD) }
                    for connection in connections.values where !connection.inFlight { connection.close() }
                }
                if connections.isEmpty && jobs.isEmpty { return true }
            }
            guard runJobs() else { return false }
            let idleWait = acceptBackoff.millisecondsLeft(now: MonotonicClock.nanoseconds(), cap: 100)
            epoll.wait(timeoutMilliseconds: jobs.isEmpty ? idleWait : 0) { event in
                if event.fd == listenerFD {
                    if accepting { acceptConnections() }
                } else if event.fd == wakeup.fd {
                    wakeup.drain()
                } else if let connection = connections[event.fd] {
                    if event.readable || event.closed { connection.onReadable() }
                    if event.writable && !connection.isClosed { connection.onWritable() }
                }
            }
            guard runJobs() else { return false }
            resumeAcceptingIfDue()
            sweepIfDue()
            flushLog()
        }
    }

    /// Asks the loop to stop accepting, close idle connections, let busy ones finish, then exit.
    func requestStop() {
        stopRequested.store(true, ordering: .relaxed)
        wakeup.signal()
    }

    var isStopping: Bool { stopRequested.load(ordering: .relaxed) }

    private func acceptConnections() {
        let limit = server.connectionLimit
        for _ in 0..<64 {
            guard limit.take() else {
                pauseAccepting(
                    "\(limit.current) connections open, the most this process keeps "
                        + "(the rest of its descriptors are kept for files)")
                return
            }
            let client: Socket?
            do {
                client = try server.listener.accept()
            } catch {
                limit.release()
                if AcceptBackoff.isShortage(error) { pauseAccepting("\(error)") }
                return
            }
            guard let client else {
                limit.release()
                return
            }
            client.setNoDelay()
            do {
                try epoll.add(client.fd, [.readable, .writable, .hangup, .edgeTriggered])
            } catch {
                client.close()
                limit.release()
                continue
            }
            let connection = Connection(socket: client, loop: self)
            connections[client.fd] = connection
            connectionCount.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// Stops watching the listener for a pause, and says why once per interval.
    private func pauseAccepting(_ reason: String) {
        epoll.remove(listenerFD)
        let line = acceptBackoff.shortage(
            reason, now: MonotonicClock.nanoseconds(), openConnections: connections.count)
        if let line { HostLog.err(line) }
    }

    private func resumeAcceptingIfDue() {
        guard acceptBackoff.pauseEnded(now: MonotonicClock.nanoseconds()), accepting else { return }
        do {
            try epoll.add(listenerFD, [.readable, .exclusive])
        } catch {
            HostLog.err("edge-dev: cannot watch the listening socket again: \(error)\n")
        }
    }

    func connectionClosed(_ connection: Connection) {
        if connections[connection.socket.fd] === connection {
            connections[connection.socket.fd] = nil
            connectionCount.wrappingSubtract(1, ordering: .relaxed)
            server.connectionLimit.release()
        }
    }

    /// Timeouts are checked four times a second: cheap at a thousand connections, and precise
    /// enough for limits measured in seconds.
    private func sweepIfDue() {
        let now = MonotonicClock.nanoseconds()
        guard now &- lastSweep > 250_000_000 else { return }
        lastSweep = now
        for connection in Array(connections.values) { connection.checkTimeouts(now: now) }
    }

    func nextRequestID() -> String { requestIDs.next() }

    // MARK: - Log

    /// Appends to the loop's log buffer, written with one `write(2)` per loop iteration: never
    /// stdio, whose lock a crashed handler could hold.
    func logAccess(method: String, target: String, status: Int, started: UInt64, requestID: String?, tag: String?) {
        accessLog.append(
            method: method, target: target, status: status, started: started, requestID: requestID, tag: tag)
        if accessLog.count > 64 * 1024 { flushLog() }
    }

    private func flushLog() { accessLog.write(to: 1) }
}
