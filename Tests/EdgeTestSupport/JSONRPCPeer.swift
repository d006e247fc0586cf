import BuildServer
import EdgeSystem
import Glibc

/// A process spoken to in JSON-RPC over its standard input and output, framed as the Language
/// Server and Build Server protocols frame it: the real `sourcekit-lsp`, or `edge-dev bsp`.
///
/// Requests the process sends back (`window/workDoneProgress/create`, `client/registerCapability`)
/// are answered with null; its notifications are kept, in order, in `notifications`.
package final class JSONRPCPeer {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        package init(description: String) { self.description = description }
    }

    package let pid: pid_t
    private let toPeer: Int32
    private let fromPeer: Int32
    private var framer = MessageFramer()
    private var nextID = 0
    private var inputClosed = false
    /// Every notification received so far.
    package private(set) var notifications: [JSONValue] = []
    /// What the process wrote to standard error.
    package let errorLog: String

    /// Starts `words[0]` with the rest as arguments, in `directory`.
    package init(_ words: [String], directory: String, environment: [String: String] = [:]) throws {
        errorLog = FilePath.join(
            TestProject.tempRoot(), "jsonrpc-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log")
        // Close-on-exec: a process another test starts meanwhile must not inherit these ends, or
        // closing our end of the input would never reach this one as the end of its input.
        let input = try closeOnExecPipe()
        let output = try closeOnExecPipe()
        let toChild = [input.read, input.write]
        let fromChild = [output.read, output.write]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errorLog, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer {
            close(toChild[0])
            close(fromChild[1])
        }
        pid = try spawn(words, actions: &actions, directory: directory, environment: environment)
        toPeer = toChild[1]
        fromPeer = fromChild[0]
    }

    deinit {
        if !inputClosed { close(toPeer) }
        close(fromPeer)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        unlink(errorLog)
    }

    package func notify(_ method: String, _ params: JSONValue = .object([])) throws {
        try write(.object([("jsonrpc", "2.0"), ("method", .string(method)), ("params", params)]))
    }

    /// Sends a request and waits for its answer's `result`; an `error` answer is thrown.
    @discardableResult
    package func request(_ method: String, _ params: JSONValue = .object([]), timeout: Duration = .seconds(30))
        throws -> JSONValue
    {
        nextID += 1
        let id = JSONValue(nextID)
        try write(.object([("jsonrpc", "2.0"), ("id", id), ("method", .string(method)), ("params", params)]))
        let deadline = ContinuousClock.now + timeout
        while true {
            let message = try read(until: deadline, waitingFor: method)
            if message["method"] == nil, message["id"] == id {
                if let error = message["error"] { throw Failure(description: "\(method): \(error.serialized)") }
                return message["result"] ?? .null
            }
        }
    }

    /// The first notification from index `start` on that `matches`, and its index, waiting up
    /// to `timeout`.
    @discardableResult
    package func notification(
        from start: Int = 0, timeout: Duration = .seconds(30), what: String = "a notification",
        where matches: (JSONValue) -> Bool
    ) throws -> (index: Int, message: JSONValue) {
        let deadline = ContinuousClock.now + timeout
        var index = start
        while true {
            while index < notifications.count {
                if matches(notifications[index]) { return (index, notifications[index]) }
                index += 1
            }
            _ = try read(until: deadline, waitingFor: what)
        }
    }

    /// Reads whatever arrives until `deadline` (or the process closes its output); no error.
    package func drain(for duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while (try? read(until: deadline, waitingFor: "")) != nil {}
    }

    /// Closes the process's input; returns its exit code once it has exited (nil past `timeout`).
    package func closeInput(waiting timeout: Duration = .seconds(10)) -> Int32? {
        if !inputClosed {
            close(toPeer)
            inputClosed = true
        }
        return waitForExit(timeout)
    }

    package func waitForExit(_ timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return exitCode(status) }
            usleep(10_000)
        }
        return nil
    }

    private func write(_ message: JSONValue) throws {
        let bytes = MessageFramer.frame(message)
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(toPeer, raw.baseAddress! + offset, raw.count - offset)
                guard n > 0 else { throw SystemError.current("write to \(pid)") }
                offset += n
            }
        }
    }

    /// The next message; notifications are also kept, requests answered with null.
    private func read(until deadline: ContinuousClock.Instant, waitingFor what: String) throws -> JSONValue {
        while true {
            if let message = try framer.next() {
                if message["method"] != nil {
                    if let id = message["id"] {
                        try write(.object([("jsonrpc", "2.0"), ("id", id), ("result", .null)]))
                    } else {
                        notifications.append(message)
                    }
                }
                return message
            }
            let left = deadline - ContinuousClock.now
            let milliseconds = max(
                0, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            var poller = pollfd(fd: fromPeer, events: Int16(POLLIN), revents: 0)
            guard milliseconds > 0, poll(&poller, 1, milliseconds) > 0 else {
                throw Failure(description: "no \(what) from pid \(pid) in time; its log: \(stderrTail())")
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fromPeer, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "pid \(pid) closed its output; its log: \(stderrTail())") }
            framer.append(chunk[0..<n])
        }
    }

    private func stderrTail() -> String {
        String(((try? FilePath.readText(errorLog)) ?? "").suffix(2000))
    }
}
