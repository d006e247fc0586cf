import EdgeHTTP
import EdgeSystem
import Glibc
import HandlerBuild
import HandlerRuntime

/// The real `edge-dev serve` binary, started on a project with `--port 0`; its output goes to a
/// file the test reads.
package final class ServeProcess {
    package let pid: pid_t
    package let logPath: String
    package private(set) var port = 0
    private var exited: Int32?

    /// `edge-dev`, built beside the test bundle by `swift build --build-tests` / `swift test`.
    package static var executable: String {
        let bundle = FilePath.resolvingSymlinks("/proc/self/exe")
        return FilePath.join(FilePath.directory(of: bundle), "edge-dev")
    }

    /// `launcher` runs before the binary and must `exec` it (`prlimit --nofile=64:64`), so `pid`
    /// is edge-dev's.
    package init(
        handlers: String, arguments: [String] = [], environment: [String: String] = ["NO_COLOR": "1"],
        launcher: [String] = []
    ) throws {
        logPath = FilePath.join(FilePath.directory(of: handlers), "serve.log")
        pid = try spawnEdgeDev(
            ["serve", "--handlers", handlers, "--port", "0"] + arguments, output: logPath, environment: environment,
            launcher: launcher)
    }

    /// Any command that prints `listening on http://...` and `ready:` (`words[0]` is run as
    /// is: edge-dev from a bundle, or a shell that execs it), its output in `logPath`;
    /// `handOver` becomes the child's descriptor 3 (a listening socket, as systemd passes one).
    package init(command words: [String], logPath: String, environment: [String: String] = [:], handOver: Int32? = nil)
        throws
    {
        self.logPath = logPath
        pid = try spawnProcess(words, output: logPath, environment: environment, handOver: handOver)
    }

    deinit {
        if exited == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    package var log: String { (try? FilePath.readText(logPath)) ?? "" }

    /// The gateway process the supervisor runs (`serve` without `--no-restart`), or nil.
    package func gatewayPID() -> pid_t? {
        for task in FilePath.contents(of: "/proc/\(pid)/task") {
            let children = (try? FilePath.readText("/proc/\(pid)/task/\(task)/children")) ?? ""
            if let first = children.split(separator: " ").first, let child = pid_t(first) { return child }
        }
        return nil
    }

    /// Waits for a line containing `text` (after `offset` characters of log); returns the line.
    @discardableResult
    package func waitFor(_ text: String, timeout: Duration = .seconds(60), after offset: Int = 0) async throws -> String
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = log
            if current.count > offset {
                let tail = current.dropFirst(offset)
                if let line = tail.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            }
            var status: Int32 = 0
            if exited == nil, waitpid(pid, &status, WNOHANG) == pid {
                exited = status
                throw RawHTTPClient.Failure(description: "edge-dev exited (status \(status)) before '\(text)':\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RawHTTPClient.Failure(description: "no '\(text)' within \(timeout); log:\n\(log)")
    }

    /// Waits for `listening on` and `ready:`; returns the port.
    package func waitUntilReady() async throws -> Int {
        let line = try await waitFor("listening on http://")
        port = Int(line.split(separator: ":").last ?? "") ?? 0
        try await waitFor("ready:")
        return port
    }

    /// Sends `signal` and waits for the exit; returns the exit code (or 128 + signal).
    package func terminate(_ signal: Int32 = SIGTERM, timeout: Duration = .seconds(20)) async throws -> Int32 {
        kill(pid, signal)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                exited = status
                return exitCode(status)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RawHTTPClient.Failure(description: "edge-dev did not exit within \(timeout)")
    }

    package func request(_ method: String, _ target: String, headers: [String] = [], body: String? = nil) throws
        -> RawHTTPClient.Reply
    {
        try RawHTTPClient.request(port: port, method, target, headers: headers, body: body)
    }

    /// A GET on a fresh connection to `port`, for tests that run requests on their own threads.
    package static func get(port: Int, _ target: String) throws -> RawHTTPClient.Reply {
        try RawHTTPClient.request(port: port, "GET", target)
    }

    /// The fields of `/proc/<pid>/stat` after the command name (the first is the state), or nil
    /// when there is no such process.
    package static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let stat = try? FilePath.readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else {
            return nil
        }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// True when `pid` has exited: gone, or a zombie its parent has not reaped yet.
    package static func hasEnded(_ pid: pid_t) -> Bool { statFields(pid)?.first.map { $0 == "Z" } ?? true }

    /// The number of threads of process `pid`, from /proc.
    package static func threadCount(_ pid: pid_t) -> Int {
        let status = (try? FilePath.readText("/proc/\(pid)/status")) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
        return line.flatMap { Int(String($0.filter(\.isNumber))) } ?? 0
    }
}

/// Starts the `edge-dev` binary with `arguments` (in `directory`, when given), its standard input
/// from /dev/null and its standard output and error to the file `output`.
package func spawnEdgeDev(
    _ arguments: [String], output: String, directory: String? = nil, environment: [String: String] = [:],
    launcher: [String] = []
) throws -> pid_t {
    try spawnProcess(
        launcher + [ServeProcess.executable] + arguments, output: output, directory: directory, environment: environment
    )
}

/// Starts `words[0]` with the rest as arguments, like `spawnEdgeDev`; `handOver` becomes the
/// child's descriptor 3.
package func spawnProcess(
    _ words: [String], output: String, directory: String? = nil, environment: [String: String] = [:],
    handOver: Int32? = nil
) throws -> pid_t {
    let words = inDirectory(words, directory)
    return try Subprocess.spawn(
        words[0], Array(words.dropFirst()), outputFile: output, overrides: environment, handOver: handOver)
}

/// `words`, started in `directory` when given: posix_spawn has no portable "start in this
/// folder", so the shell changes to it.
private func inDirectory(_ words: [String], _ directory: String?) -> [String] {
    guard let directory else { return words }
    return ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + words
}

/// `posix_spawn` of `words` with file actions of the caller's own (pipes, say), in `directory`
/// when given, with this process's environment plus `environment`. Output to a file goes
/// through `spawnProcess` (edge-dev's own `Subprocess.spawn`).
package func spawn(
    _ words: [String], actions: inout posix_spawn_file_actions_t, directory: String? = nil,
    environment: [String: String] = [:]
) throws -> pid_t {
    let words = inDirectory(words, directory)
    let argv = words.map { strdup($0) } + [nil]
    let envp = Subprocess.environment(with: environment).map { strdup($0) } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid = pid_t()
    let result = posix_spawn(&pid, words[0], &actions, nil, argv, envp)
    guard result == 0 else { throw SystemError("posix_spawn \(words[0])", code: result) }
    return pid
}

/// A `waitpid` status as a shell shows it: the exit code, or 128 + the signal.
package func exitCode(_ status: Int32) -> Int32 {
    status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}
