import CSystem
import EdgeSDK
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One thread, one epoll instance, the connections it accepted, and a task executor.
///
/// Handler tasks are started with this loop as their executor preference, so a handler that does
/// not suspend runs to completion on the loop thread, right after its request was parsed, with no
/// thread hop (architecture.md measured 38-46 µs for a hop). Connection state is touched only on
/// this thread.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    let index: Int
    unowned let server: HTTPServer
    private let epoll: Epoll
    private let wakeup: EventFD
    private let threadID = Atomic<UInt>(0)

    // Loop-thread state.
    private var jobs: [UnownedJob] = []
    private var running: [UnownedJob] = []
    private var connections: [Int32: Connection] = [:]
    private var lastSweep: UInt64 = 0
    private var requestCounter: UInt64 = 0
    private var logBuffer: [UInt8] = []
    var encoder = HTTPResponseEncoder()
    let scratch: UnsafeMutableRawBufferPointer

    private let remoteJobs = Mutex<[UnownedJob]>([])
    private let hasRemoteJobs = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let connectionCount = Atomic<Int>(0)
    let busyConnections = Atomic<Int>(0)

    init(index: Int, server: HTTPServer) throws(SystemError) {
        self.index = index
        self.server = server
        epoll = try Epoll(capacity: 512)
        wakeup = try EventFD()
        scratch = .allocate(byteCount: 64 * 1024, alignment: 16)
        try epoll.add(wakeup.fd, [.readable])
        try epoll.add(server.listener.fd, [.readable, .exclusive])
    }

    deinit { scratch.deallocate() }

    var openConnections: Int { connectionCount.load(ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    // MARK: - Executor

    var isLoopThread: Bool { threadID.load(ordering: .relaxed) == UInt(pthread_self()) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isLoopThread {
            jobs.append(job)
        } else {
            remoteJobs.withLock { $0.append(job) }
            if !hasRemoteJobs.exchange(true, ordering: .acquiringAndReleasing) { wakeup.signal() }
        }
    }

    private func takeRemoteJobs() {
        guard hasRemoteJobs.exchange(false, ordering: .acquiringAndReleasing) else { return }
        remoteJobs.withLock { remote in
            jobs.append(contentsOf: remote)
            remote.removeAll(keepingCapacity: true)
        }
    }

    private func runJobs() {
        while !jobs.isEmpty {
            swap(&jobs, &running)
            for job in running { job.runSynchronously(on: asUnownedTaskExecutor()) }
            running.removeAll(keepingCapacity: true)
        }
    }

    // MARK: - Loop

    func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        var accepting = true
        while true {
            if stopRequested.load(ordering: .relaxed) {
                if accepting {
                    accepting = false
                    epoll.remove(server.listener.fd)
                    for connection in connections.values where !connection.inFlight { connection.close() }
                }
                if connections.isEmpty && jobs.isEmpty { break }
            }
            takeRemoteJobs()
            runJobs()
            epoll.wait(timeoutMilliseconds: jobs.isEmpty ? 100 : 0) { event in
                if event.fd == server.listener.fd {
                    if accepting { acceptConnections() }
                } else if event.fd == wakeup.fd {
                    wakeup.drain()
                } else if let connection = connections[event.fd] {
                    if event.readable || event.closed { connection.onReadable() }
                    if event.writable && !connection.isClosed { connection.onWritable() }
                }
            }
            takeRemoteJobs()
            runJobs()
            sweepIfDue()
            flushLog()
        }
        flushLog()
        stopped.store(true, ordering: .releasing)
    }

    /// Asks the loop to stop accepting, close idle connections, let busy ones finish, then exit.
    func requestStop() {
        stopRequested.store(true, ordering: .relaxed)
        wakeup.signal()
    }

    var isStopping: Bool { stopRequested.load(ordering: .relaxed) }

    private func acceptConnections() {
        for _ in 0..<64 {
            let client: Socket?
            do {
                client = try server.listener.accept()
            } catch {
                if error.code == EMFILE || error.code == ENFILE {
                    log("edge-dev: out of file descriptors: \(error)\n", to: 2)
                }
                return
            }
            guard let client else { return }
            client.setNoDelay()
            do {
                try epoll.add(client.fd, [.readable, .writable, .hangup, .edgeTriggered])
            } catch {
                client.close()
                continue
            }
            let connection = Connection(socket: client, loop: self)
            connections[client.fd] = connection
            connectionCount.wrappingAdd(1, ordering: .relaxed)
        }
    }

    func connectionClosed(_ connection: Connection) {
        if connections[connection.socket.fd] === connection {
            connections[connection.socket.fd] = nil
            connectionCount.wrappingSubtract(1, ordering: .relaxed)
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

    func nextRequestID() -> String {
        requestCounter &+= 1
        return "\(index)-\(String(requestCounter, radix: 16))"
    }

    // MARK: - Log

    /// Appends to the loop's log buffer, written with one `write(2)` per loop iteration: never
    /// stdio, whose lock a crashed handler could hold.
    func log(_ line: String) {
        logBuffer.append(contentsOf: line.utf8)
        if logBuffer.count > 64 * 1024 { flushLog() }
    }

    func log(_ text: String, to fd: Int32) { HostLog.write(text, to: fd) }

    private func flushLog() {
        guard !logBuffer.isEmpty else { return }
        logBuffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(server.logDescriptor, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
        logBuffer.removeAll(keepingCapacity: true)
    }
}
