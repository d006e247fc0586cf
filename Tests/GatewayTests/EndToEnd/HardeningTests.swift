import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

/// Fault tests with the real binary: what happens at the edges of the machine's resources and
/// of a handler's behaviour.
@Suite(.onOwnThreads, .serialized) struct HardeningTests {
    /// CPU seconds (user + system) `pid` has used, from /proc.
    static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let fields = ServeProcess.statFields(pid) else { return 0 }
        // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test func outOfDescriptorsPausesAcceptingAndKeepsServing() async throws {
        guard FilePath.exists("/usr/bin/prlimit") else {
            Issue.record("prlimit (util-linux) is needed to run the server under a low open-files limit")
            return
        }
        let test = try TestProject(samples: ["hello"])
        // No example run after the load: its own connection to the server would compete for
        // the few descriptors this test leaves.
        FilePath.removeTree(FilePath.join(test.project.endpointDirectory("hello"), "examples"))
        try test.write("files", Self.filesHandler)
        let serve = try ServeProcess(
            handlers: test.project.handlersDirectory, arguments: ["--no-restart", "--no-access-log"],
            launcher: ["/usr/bin/prlimit", "--nofile=128:128", "--"])
        let port = try await serve.waitUntilReady()
        let kept = try RawHTTPClient(port: port)
        try kept.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try kept.read().status == 200)

        // More connections than descriptors: the rest wait in the listen queue.
        var flood: [Int32] = []
        defer { for fd in flood { close(fd) } }
        let flooded = ContinuousClock.now
        for _ in 0..<300 { flood.append(try Socket.connect(host: "127.0.0.1", port: port).fd) }
        try await serve.waitFor("cannot accept connections", timeout: .seconds(10))
        let before = Self.cpuSeconds(serve.pid)
        try await Task.sleep(for: .seconds(2))
        let used = Self.cpuSeconds(serve.pid) - before
        #expect(used < 0.5, "the gateway used \(used) s of CPU in 2 s while out of descriptors")

        // The connection already open is still served, and a handler can still open a file and
        // sleep on clocks the process had not used yet (libdispatch opens a descriptor for each
        // clock's first timer, and traps when it cannot: this killed the server once).
        do {
            try kept.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try kept.read().status == 200)
            try kept.send("GET /files HTTP/1.1\r\nHost: x\r\n\r\n")
            let files = try kept.read()
            #expect(files.status == 200 && files.text.hasPrefix("Name:"), "\(files.status) \(files.text)")
        } catch {
            // Seen twice under a fully loaded CI run, never alone: the server's log says why.
            Issue.record("the open connection was not served: \(error); the server's log:\n\(serve.log.suffix(3000))")
        }
        let lines = serve.log.split(separator: "\n").filter { $0.contains("cannot accept connections") }
        // One line per 5 s interval, not per attempt (a loaded machine makes the test run longer).
        let intervals = Int((ContinuousClock.now - flooded).components.seconds / 5) + 2
        #expect(
            lines.count <= intervals,
            "one line per interval, not per attempt: \(lines.count) in \(intervals - 1) intervals")
        #expect(lines.first?.contains("open-files limit 128") == true, "\(lines.first ?? "")")
        // Connections stop short of the limit (a quarter of it is kept for files), so accepting
        // pauses on the connection limit, not on EMFILE.
        #expect(lines.first?.contains("connections open, the most this process keeps") == true, "\(lines.first ?? "")")

        // Descriptors come back: new connections are accepted again.
        for fd in flood { close(fd) }
        flood = []
        // The server works through the closed connections still queued, shedding what it cannot
        // take yet: a new connection may be closed at first, and is served within seconds.
        let served = await eventually(timeout: .seconds(15)) {
            (try? ServeProcess.get(port: port, "/hello").status) == 200
        }
        #expect(served, "new connections are accepted again; the server's log:\n\(serve.log.suffix(3000))")
        #expect(try await serve.terminate(SIGTERM) == 0)
    }

    /// Opens a file and sleeps on the two clocks the server itself does not use.
    static let filesHandler = """
        import EdgeSDK
        import Foundation

        func handle(_ ctx: Context, _ req: Request) async throws -> Response {
            try await SuspendingClock().sleep(for: .milliseconds(5))
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().asyncAfter(wallDeadline: .now() + .milliseconds(5)) { done.resume() }
            }
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            return .text(String(status.prefix(40)))
        }
        """

    static let clockHandler = """
        import EdgeSDK
        import Foundation

        func handle(_ ctx: Context, _ req: Request) async throws -> Response {
            if let ms = req.query("ms"), let n = UInt64(ms) { try await Task.sleep(nanoseconds: n * 1_000_000) }
            if req.query("trap") != nil {
                let missing: Int? = nil
                return .text("\\(missing!)")
            }
            let data = try JSONEncoder().encode(["now": Date().timeIntervalSince1970])
            return .text(String(decoding: data, as: UTF8.self))
        }
        """

    static let fetchHandler = """
        import EdgeSDK
        import Foundation
        import FoundationNetworking

        func handle(_ ctx: Context, _ req: Request) async throws -> Response {
            let url = URL(string: req.query("url") ?? "")!
            let count = try await withCheckedThrowingContinuation { (done: CheckedContinuation<Int, any Error>) in
                URLSession.shared.dataTask(with: url) { data, _, error in
                    if let error { done.resume(throwing: error) } else { done.resume(returning: data?.count ?? 0) }
                }.resume()
            }
            return .text("fetched \\(count) bytes")
        }
        """

    /// Most real handlers import Foundation; once one had run, `serve` used to hang for ever on
    /// Ctrl-C (the main actor never ran again: see FoundationOnTheMainThread).
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalEndsServeWithin2sAfterFoundationHandlers(_ signal: Int32) async throws {
        let test = try TestProject()
        try test.write("clock", Self.clockHandler)
        try test.write("fetch", Self.fetchHandler)
        let serve = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--no-access-log"])
        let port = try await serve.waitUntilReady()
        #expect(try ServeProcess.get(port: port, "/clock").text.contains("now"))
        let fetched = try ServeProcess.get(port: port, "/fetch?url=http://127.0.0.1:\(port)/clock")
        #expect(fetched.status == 200 && fetched.text.hasPrefix("fetched "), "\(fetched.text)")
        #expect(try ServeProcess.get(port: port, "/clock?trap=1").status == 500)

        let inFlight = Task { try await onThread { try ServeProcess.get(port: port, "/clock?ms=800") } }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        let status = try await serve.terminate(signal, timeout: .seconds(5))
        let took = ContinuousClock.now - start
        #expect(status == 0)
        #expect(took < .seconds(2), "exit took \(took)")
        #expect(try await inFlight.value.status == 200, "the request in flight finishes first")
    }

    /// `exit()` in a handler is a death like a signal: restarted, and the terminal names the
    /// endpoint whose request was in flight.
    @Test func aHandlerThatCallsExitIsRestartedAndNamed() async throws {
        let test = try TestProject(samples: ["hello"])
        try test.write(
            "quit",
            """
            import EdgeSDK
            import Glibc

            func handle(_ ctx: Context, _ req: Request) -> Response {
                if let code = req.query("code").flatMap({ Int32($0) }) { exit(code) }
                return .text("alive")
            }
            """)
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await serve.waitUntilReady()
        for (round, code) in [0, 3].enumerated() {
            #expect(throws: (any Error).self) { try ServeProcess.get(port: port, "/quit?code=\(code)") }
            let line = try await serve.waitFor("restart \(round + 1))")
            #expect(line.contains("the gateway process died (exit status \(code), not by edge-dev"), "\(line)")
            #expect(line.contains("while serving 'quit'"), "\(line)")
            // The restarted gateway's own "ready:" (one more than before).
            let deadline = ContinuousClock.now + .seconds(30)
            while serve.log.components(separatedBy: "ready:").count < round + 3 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try ServeProcess.get(port: port, "/quit").text == "alive")
            #expect(try ServeProcess.get(port: port, "/hello").status == 200)
        }
        // edge-dev's own exit is still an exit.
        #expect(try await serve.terminate(SIGTERM) == 0)
    }

    /// Type-checking this takes minutes (ten sums of 22 `SIMD2<Double>` terms).
    static let slowSource: String = {
        let terms = (1...11).map { "p * \($0) - \($0).5 * p" }.joined(separator: " + ")
        let lines = (0..<10).map { "    let r\($0) = \(terms)" }.joined(separator: "\n")
        return """
            import EdgeSDK

            func handle(_ ctx: Context, _ req: Request) -> Response {
                let p = SIMD2<Double>(1, 2)
            \(lines)
                return .text("\\(r0 + r9)")
            }
            """
    }()

    static func versioned(_ text: String) -> String {
        "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(\"\(text)\") }\n"
    }

    /// Polls `target` until it answers `text`; returns how long that took.
    static func untilServed(_ port: Int, _ target: String, _ text: String, within limit: Duration) async throws
        -> Duration
    {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if (try? ServeProcess.get(port: port, target).text) == text { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(50))
        }
        return ContinuousClock.now - start
    }

    @Test func aNewerSaveStopsABuildThatNeverEnds() async throws {
        let test = try TestProject()
        try test.write("api", Self.versioned("v1"))
        let serve = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--no-access-log"])
        let port = try await serve.waitUntilReady()
        try test.write("api", Self.slowSource)
        try await Task.sleep(for: .seconds(2))
        try test.write("api", Self.versioned("v3"))
        let took = try await Self.untilServed(port, "/api", "v3", within: .seconds(20))
        #expect(took < .seconds(5), "the fix went live after \(took)")
        #expect(try await serve.terminate(SIGTERM) == 0)
    }

    @Test func aBuildPastItsLimitIsStoppedAndReported() async throws {
        let test = try TestProject()
        try test.write("api", Self.versioned("v1"))
        let serve = try ServeProcess(
            handlers: test.project.handlersDirectory, arguments: ["--no-access-log", "--build-timeout", "2"])
        let port = try await serve.waitUntilReady()
        try test.write("api", Self.slowSource)
        let line = try await serve.waitFor("longer than its 2 s limit", timeout: .seconds(20))
        #expect(line.contains("handlers/api/src"), "\(line)")
        #expect(try ServeProcess.get(port: port, "/api").text == "v1", "the previous version keeps serving")
        #expect(try await serve.terminate(SIGTERM) == 0)
    }

    @Test func slowBuildsDoNotHoldUpAnotherEndpoint() async throws {
        let test = try TestProject(samples: ["hello"])
        for id in ["slow1", "slow2", "slow3"] { try test.write(id, Self.versioned(id)) }
        let serve = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--no-access-log"])
        let port = try await serve.waitUntilReady()
        // More endpoints type-checking for minutes than there are build slots here (two cores).
        for id in ["slow1", "slow2", "slow3"] { try test.write(id, Self.slowSource) }
        try await Task.sleep(for: .milliseconds(500))
        let file = FilePath.join(test.project.sourceDirectory("hello"), "handler.swift")
        try FilePath.write(Self.versioned("hello again"), to: file)
        let took = try await Self.untilServed(port, "/hello", "hello again", within: .seconds(30))
        // A slot frees within the slow-build threshold (1.5 s), then an ordinary build.
        #expect(took < .seconds(5), "hello went live after \(took)")
        #expect(try await serve.terminate(SIGTERM) == 0)
    }

    /// A full disk at link time (a 20 KiB tmpfs over the build folder): the linker's own words.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskAtLinkTimeShowsTheLinkersMessage() throws {
        let test = try TestProject(samples: ["hello"])
        try FilePath.createDirectories(test.project.buildRoot)
        let mount = try runCommand(["/bin/mount", "-t", "tmpfs", "-o", "size=20k", "tmpfs", test.project.buildRoot])
        try #require(mount.status == 0, "mount failed: \(mount.output)")
        defer { _ = try? runCommand(["/bin/umount", test.project.buildRoot]) }
        let build = try runEdgeDev(["build"], in: test.project.rootDirectory)
        #expect(build.status == 1)
        #expect(build.output.contains("No space left on device"), "\(build.output)")
    }

    /// Folders that are not endpoint ids are named once, with the rule; a source file that is a
    /// link to a file outside the project is rebuilt when its target is edited.
    @Test func skippedFoldersAreNamedAndLinkedSourcesAreWatched() async throws {
        let test = try TestProject()
        let root = test.project.rootDirectory
        for name in ["über", "a b", "x.y"] {
            try test.write(
                name, "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(\"\") }\n")
        }
        try FilePath.createDirectories(FilePath.join(root, "shared"))
        let target = FilePath.join(root, "shared/greeting.swift")
        try FilePath.write("let greeting = \"one\"\n", to: target)
        try test.write(
            "hello", "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(greeting) }\n")
        symlink(target, FilePath.join(test.project.sourceDirectory("hello"), "greeting.swift"))

        for command in ["build", "routes"] {
            let run = try runEdgeDev([command], in: root)
            #expect(run.status == 0, "\(command): \(run.output)")
            let lines = run.output.split(separator: "\n").filter { $0.contains("skipping") }
            #expect(lines.count == 1, "\(command): \(run.output)")
            #expect(lines.first?.contains("'handlers/a b', 'handlers/x.y', 'handlers/über'") == true, "\(lines)")
            #expect(lines.first?.contains("not an endpoint id (letters, digits") == true, "\(lines)")
        }
        let serve = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--no-access-log"])
        let port = try await serve.waitUntilReady()
        #expect(serve.log.split(separator: "\n").filter { $0.contains("skipping") }.count == 1)
        #expect(try ServeProcess.get(port: port, "/hello").text == "one")
        try FilePath.write("let greeting = \"two\"\n", to: target)
        let took = try await Self.untilServed(port, "/hello", "two", within: .seconds(10))
        #expect(took < .seconds(5), "an edit of the link's target went live after \(took)")
        #expect(try await serve.terminate(SIGTERM) == 0)
    }

    /// `edge-dev build` opens every library it built: with a handler that imports Foundation it
    /// used to hang for ever after printing its summary (the main actor never ran again).
    @Test func buildExitsAfterFoundationHandlers() async throws {
        let test = try TestProject()
        try test.write("clock", Self.clockHandler)
        let output = FilePath.join(test.project.rootDirectory, "build.log")
        let pid = try spawnEdgeDev(["build"], output: output, directory: test.project.rootDirectory)
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(60)
        var exited = false
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                exited = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        if !exited {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        #expect(exited, "edge-dev build did not exit: \((try? FilePath.readText(output)) ?? "")")
        #expect(exitCode(status) == 0)
    }
}
