import CSystem
import EdgeSystem
import Glibc

/// The last line of defence: runs the gateway as a child process on a listening socket this
/// process keeps, and starts it again if it dies.
///
/// The crash barrier catches traps in handler code; a crash it cannot catch (in host code, or on
/// a thread a handler started for itself) ends the gateway process. The socket stays open here,
/// so the kernel keeps queueing connections while the new gateway starts: clients wait briefly
/// instead of being refused.
struct Supervisor {
    let listener: Socket
    /// The gateway's table of requests in flight (`.edge/gateway-<pid>.inflight`), read after
    /// it died.
    let inFlightPath: String

    /// The environment variable that tells a gateway which descriptor is its listening socket.
    static let descriptorVariable = "EDGE_GATEWAY_FD"
    static let restartsVariable = "EDGE_GATEWAY_RESTARTS"
    static let supervisorVariable = "EDGE_SUPERVISOR_PID"
    static let inFlightVariable = "EDGE_GATEWAY_INFLIGHT"

    /// In the gateway: where to keep the table of requests in flight.
    static var inFlightPath: String? { getenv(inFlightVariable).map { String(cString: $0) } }
    private static let inheritedDescriptor: Int32 = 3

    /// True in the gateway process (the supervisor passed it a socket).
    static var isGateway: Bool { getenv(descriptorVariable) != nil }

    /// In the gateway: how often the supervisor has restarted it.
    static var restarts: Int {
        getenv(restartsVariable).flatMap { Int(String(cString: $0)) } ?? 0
    }

    /// In the gateway, on the main thread before its first suspension: a supervisor killed
    /// outright must not leave a gateway holding the port, so its death sends SIGTERM here.
    ///
    /// The kernel keeps the parent-death signal per thread and sends it only while the thread
    /// that asked for it lives. Asked from `serve` (a pool thread), it was lost when Dispatch
    /// retired that thread after 5 s idle: gateways outlived their SIGKILLed supervisors in the
    /// tests (gdb found the signal set on no thread). The main thread lives as long as the process.
    static func endWithTheSupervisor() {
        guard isGateway else { return }
        _ = edge_set_parent_death_signal(SIGTERM)
        // The supervisor may have died before that took effect.
        let supervisor = getenv(supervisorVariable).flatMap { pid_t(String(cString: $0)) }
        unsetenv(supervisorVariable)
        if let supervisor, getppid() != supervisor { _exit(1) }
    }

    /// In the gateway: the socket the supervisor passed down, if this is a gateway.
    static func inheritedListener() -> Socket? {
        guard let value = getenv(descriptorVariable), let fd = Int32(String(cString: value)) else { return nil }
        unsetenv(descriptorVariable)
        return Socket(fd: fd)
    }

    /// Supervises until the gateway exits by itself (returns its status) or is stopped by a
    /// signal sent here (passed on to it).
    func run() async -> Int32 {
        defer { unlink(inFlightPath) }
        // A dedicated thread that outlives every child: PR_SET_PDEATHSIG fires when the thread
        // that started the child ends, not only the process.
        do {
            return try await onOwnThread(name: "edge-supervisor") { supervise() }
        } catch {
            HostLog.err("error: cannot start the supervisor: \(error)\n")
            return 1
        }
    }

    private func supervise() -> Int32 {
        var restarts = 0
        while true {
            let started = MonotonicClock.nanoseconds()
            let pid: pid_t
            unlink(inFlightPath)  // a table left by an earlier gateway says nothing of this one
            do {
                pid = try spawnGateway(restarts: restarts)
            } catch {
                HostLog.err("error: cannot start the gateway process: \(error)\n")
                return 1
            }
            edge_supervisor_forward_signals(pid)
            let status = waitForExit(pid)
            // Until the next gateway starts, a signal has no child to go to (its pid may be reused).
            edge_supervisor_forward_signals(0)
            let exitedNormally = status & 0x7f == 0
            let code = (status >> 8) & 0xff
            // The gateway ends normally only when edge-dev decides to (it says so in its table);
            // any other exit, such as a handler calling `exit()`, is a death like a signal.
            let table = SharedCounters.read(inFlightPath)
            let deliberate = table?.deliberate ?? (exitedNormally && code < 128)
            if exitedNormally && deliberate { return code }
            let stop = edge_supervisor_stop_signal()
            if stop != 0 {
                // The gateway was stopped by the very signal passed on to it (it came before the
                // gateway had set up its own handling, during a start): what the user asked for.
                if !exitedNormally && status & 0x7f == stop { return 0 }
                return exitedNormally ? code : 128 + status & 0x7f
            }
            restarts += 1
            let cause =
                exitedNormally
                ? "exit status \(code), not by edge-dev: a handler called exit()?" : signalName(status & 0x7f)
            let serving = table?.inFlight ?? []
            let during =
                serving.isEmpty
                ? "" : " while serving \(serving.map { "'\($0)'" }.joined(separator: ", "))"
            HostLog.err(
                "edge-dev: the gateway process died (\(cause))\(during); restarting it on the same socket "
                    + "(restart \(restarts))\n")
            // A gateway that dies at once (say, a handler that crashes while loading) is not
            // restarted in a tight loop.
            let ranFor = MonotonicClock.nanoseconds() &- started
            if ranFor < 2_000_000_000 { usleep(UInt32(min(restarts, 5)) * 500_000) }
            if edge_supervisor_stop_signal() != 0 { return 1 }
        }
    }

    /// Starts this same executable with the same arguments; the socket goes to descriptor 3.
    private func spawnGateway(restarts: Int) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, listener.fd, Self.inheritedDescriptor)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group: a Ctrl-C reaches only the supervisor, which passes it on once.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))

        let executable = FilePath.resolvingSymlinks("/proc/self/exe")
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        var environment: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            if ![Self.descriptorVariable, Self.restartsVariable, Self.supervisorVariable, Self.inFlightVariable]
                .contains(where: {
                    text.hasPrefix($0 + "=")
                })
            {
                environment.append(text)
            }
            index += 1
        }
        environment += [
            "\(Self.descriptorVariable)=\(Self.inheritedDescriptor)", "\(Self.restartsVariable)=\(restarts)",
            "\(Self.supervisorVariable)=\(getpid())", "\(Self.inFlightVariable)=\(inFlightPath)",
        ]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SystemError("posix_spawn \(executable)", code: result) }
        return pid
    }

    private func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 1 << 8 }
        }
        return status
    }
}
