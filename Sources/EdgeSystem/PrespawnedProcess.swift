import Glibc
import Synchronization

/// A tool started before it is needed and held before its `main` by a preloaded shim until it
/// is handed its work.
///
/// The start of a big tool is a large share of a small build: `swift-frontend` (210 MB) spends
/// about 23 ms of a 75 ms compile of `hello` on exec, the dynamic loader's relocations and
/// static constructors, and `ld.lld` about 8 ms of 25. A held process has done all of that while
/// nobody waited. The shim (`PrespawnShim`, preloaded with `LD_PRELOAD`) takes the place of
/// glibc's `__libc_start_main`, says it is ready on descriptor 3, and reads the arguments, the
/// output file and environment overrides from it before it calls the tool's real `main`. The
/// tool itself is not changed and runs exactly as if started with those arguments.
package final class PrespawnedProcess: Sendable {
    package let executable: String
    package let pid: pid_t
    /// Our end of the socket pair whose other end is the child's descriptor 3; -1 once closed
    /// (handed over or discarded).
    private let channelFD: Atomic<Int32>
    /// Its "R" was read (it is read once).
    private let ready = Atomic<Bool>(false)

    /// First of the strings sent, so a shim of another version refuses rather than misreads.
    package static let magic = "edge-prespawn-1"

    /// Starts `executable` held by the shim at `shim` (a shared library).
    package init(executable: String, shim: String) throws(SystemError) {
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw SystemError.current("socketpair")
        }
        defer { close(ends[1]) }
        let preload = getenv("LD_PRELOAD").map { shim + ":" + String(cString: $0) } ?? shim
        do {
            pid = try Subprocess.spawn(
                executable, [], outputFile: "/dev/null",
                overrides: ["LD_PRELOAD": preload, "EDGE_PRESPAWN_FD": "3"], handOver: ends[1])
        } catch {
            close(ends[0])
            throw SystemError("start \(executable) held: \(error)", code: 0)
        }
        self.executable = executable
        channelFD = Atomic(ends[0])
    }

    deinit { discard() }

    private var channel: Int32 { channelFD.load(ordering: .relaxed) }

    package enum Readiness: Sendable, Equatable {
        /// The shim said so: hand it work.
        case ready
        /// Not yet (still loading).
        case starting
        /// It ended without saying it was ready (the shim did not load, or it was killed).
        case gone
    }

    /// Whether the shim has said it is ready, waiting up to `timeout` for it.
    package func readiness(timeout: Duration = .zero) -> Readiness {
        if ready.load(ordering: .relaxed) { return .ready }
        var entry = pollfd(fd: channel, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: timeout.nanoseconds / 1_000_000)
        let events = (try? retryingOnInterrupt("poll", { poll(&entry, 1, milliseconds) })) ?? -1
        guard events == 1 else { return events == 0 ? .starting : .gone }
        var byte: UInt8 = 0
        guard recv(channel, &byte, 1, Int32(MSG_DONTWAIT)) == 1, byte == UInt8(ascii: "R") else { return .gone }
        ready.store(true, ordering: .relaxed)
        return .ready
    }

    /// Waits up to `timeout` for the shim to say it is ready.
    package func waitUntilReady(timeout: Duration) -> Bool { readiness(timeout: timeout) == .ready }

    /// Hands the process its work (its `main` then starts), and waits for it as
    /// `Subprocess.run` does. Throws `Subprocess.TimedOut` past `timeout`, like it.
    package func run(
        _ arguments: [String], outputFile: String, environment overrides: [String: String] = [:],
        timeout: Duration? = nil
    ) async throws -> Int32 {
        var message = [Self.magic, "O" + outputFile]
        message += overrides.map { "E\($0.key)=\($0.value)" }
        message += ([executable] + arguments).map { "A" + $0 }
        message.append("Z")  // the end: a message cut short is never run
        var bytes: [UInt8] = []
        for item in message { bytes += Array(item.utf8) + [0] }
        let sent = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = send(channel, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        let fd = channelFD.exchange(-1, ordering: .relaxed)
        shutdown(fd, Int32(SHUT_WR))
        close(fd)
        guard sent else {
            kill(pid, SIGKILL)
            _ = Subprocess.waitForExit(pid)
            throw SystemError("\(executable) (held) went away before it was handed its work", code: 0)
        }
        return try await Subprocess.wait(for: pid, timeout: timeout)
    }

    /// Ends a process that was never handed work (its shim exits when the channel closes), and
    /// reaps it in the background.
    package func discard() {
        let fd = channelFD.exchange(-1, ordering: .relaxed)
        guard fd >= 0 else { return }
        close(fd)
        Subprocess.reapInBackground(pid)
    }
}
