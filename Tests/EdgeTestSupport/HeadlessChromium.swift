import EdgeHTTP
import EdgeSystem
import FoundationEssentials
import Glibc
import HandlerBuild
import HandlerRuntime

/// A real browser for tests: headless Chromium driven over the DevTools protocol on a pair of
/// pipes (`--remote-debugging-pipe`: commands in on fd 3, answers and events out on fd 4, each
/// message a JSON text ended by NUL). No WebSocket, no driver, no packages.
package final class HeadlessChromium {
    /// The browser on PATH (Debian's package is `chromium`), or nil: tests that need it are skipped.
    package static let executable: String? = {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin"
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for directory in path.split(separator: ":") {
                let candidate = FilePath.join(String(directory), name)
                if access(candidate, X_OK) == 0 { return candidate }
            }
        }
        return nil
    }()

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    private let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private let profile: String
    private var buffer: [UInt8] = []
    private var nextID = 0

    package init() throws {
        guard let executable = Self.executable else { throw Failure(description: "no chromium on PATH") }
        var template = Array(FilePath.join(TestProject.tempRoot(), "edge-dev-chromium-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw SystemError.current("mkdtemp") }
        profile = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw SystemError.current("pipe") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let words = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            "--remote-debugging-pipe", "--user-data-dir=\(profile)", "--window-size=1280,900", "about:blank",
        ]
        defer {
            close(toBrowser[0])
            close(fromBrowser[1])
        }
        pid = try spawn(words, actions: &actions)
        commands = toBrowser[1]
        answers = fromBrowser[0]
    }

    deinit {
        close(commands)
        close(answers)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        FilePath.removeTree(profile)
    }

    /// Sends one command and waits for its answer's `result` (events in between are skipped).
    @discardableResult
    package func send(_ method: String, _ params: [(String, JSONValue)] = [], session: String? = nil) throws
        -> JSONValue
    {
        nextID += 1
        var members: [(String, JSONValue)] = [("id", JSONValue(nextID)), ("method", .string(method))]
        members.append(("params", .object(params)))
        if let session { members.append(("sessionId", .string(session))) }
        let message = Array(JSONValue.object(members).serialized.utf8) + [0]
        try message.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(commands, raw.baseAddress! + offset, raw.count - offset)
                guard n > 0 else { throw SystemError.current("write to chromium") }
                offset += n
            }
        }
        while true {
            let answer = try readMessage(timeoutSeconds: 30)
            guard answer["id"] == JSONValue(nextID) else { continue }
            if let error = answer["error"] { throw Failure(description: "\(method): \(error.serialized)") }
            return answer["result"] ?? .null
        }
    }

    private func readMessage(timeoutSeconds: Int32) throws -> JSONValue {
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let text = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 1)
                return try JSONValue.parse(text)
            }
            var poller = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutSeconds * 1000) > 0 else { throw Failure(description: "chromium is silent") }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(answers, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "chromium closed its pipe") }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Opens `url` in a new tab; returns the session that commands for it go to.
    package func open(_ url: String) throws -> String {
        let target = try send("Target.createTarget", [("url", .string(url))])
        guard case .string(let targetID) = target["targetId"] else { throw Failure(description: "no targetId") }
        let attached = try send("Target.attachToTarget", [("targetId", .string(targetID)), ("flatten", .bool(true))])
        guard case .string(let session) = attached["sessionId"] else { throw Failure(description: "no sessionId") }
        return session
    }

    /// The value of a JavaScript expression in the page.
    package func evaluate(_ expression: String, session: String) throws -> JSONValue {
        let result = try send(
            "Runtime.evaluate", [("expression", .string(expression)), ("returnByValue", .bool(true))], session: session)
        return result["result"]?["value"] ?? .null
    }

    /// Polls `expression` until it is `expected`; returns what it last was.
    @discardableResult
    package func waitFor(
        _ expression: String, toBe expected: JSONValue, session: String, timeout: Duration = .seconds(15)
    )
        async throws -> JSONValue
    {
        let deadline = ContinuousClock.now + timeout
        var last = JSONValue.null
        while ContinuousClock.now < deadline {
            last = (try? evaluate(expression, session: session)) ?? .null
            if last == expected { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }

    /// A PNG of the page, written to `path`.
    package func screenshot(session: String, to path: String) throws {
        let shot = try send("Page.captureScreenshot", [("format", "png")], session: session)
        guard case .string(let encoded) = shot["data"], let data = Data(base64Encoded: encoded) else {
            throw Failure(description: "no screenshot data")
        }
        try FilePath.createDirectories(FilePath.directory(of: path))
        try FilePath.write(Array(data), to: path)
    }
}
