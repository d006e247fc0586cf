import EdgeHTTP
import EdgeSystem
import EdgeTestSupport
import Gateway
import Glibc
import HandlerBuild
import HandlerRuntime
import Synchronization
import Testing

/// A broken handler costs one request, never the server: the real binary, the real `crash`
/// sample compiled by it, real traps, over real HTTP.
@Suite(.onOwnThreads, .serialized) struct CrashBarrierTests {
    let test: TestProject
    let serve: ServeProcess

    init() async throws {
        test = try TestProject(samples: ["hello", "slow", "crash"])
        serve = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--handler-timeout", "2"])
        _ = try await serve.waitUntilReady()
    }

    func status() throws -> JSONValue { try JSONValue.parse(try serve.request("GET", "/_edge/status").text) }

    func endpoint(_ id: String) throws -> JSONValue? {
        guard case .array(let endpoints) = try status()["endpoints"] else { return nil }
        return endpoints.first { $0["id"] == .string(id) }
    }

    /// Each kind of trap, and what its 500 must say.
    static let kinds: [(kind: String, message: String)] = [
        ("nil", "Unexpectedly found nil while unwrapping an Optional value"),
        ("index", "Index out of range"),
        ("overflow", "SIGILL"),
        ("fatal", "the crash sample was asked to fail"),
        ("precondition", "Precondition failed: the crash sample needs ?ok"),
        ("cast", "Could not cast value of type 'Swift.String'"),
        ("null", "SIGSEGV: bad memory access at 0x10"),
        ("stack", "SIGSEGV: bad memory access"),
        ("async-let", "Unexpectedly found nil"),
        ("group", "Unexpectedly found nil"),
        ("print", "trapped while printing"),
    ]

    @Test func eachKindOfTrapCostsOnlyItsRequest() async throws {
        let port = serve.port
        for (kind, message) in Self.kinds {
            // A request to another endpoint, in flight while the trap happens.
            let slow = Task { try await onThread { try ServeProcess.get(port: port, "/slow?ms=300") } }
            try await Task.sleep(for: .milliseconds(50))
            let crashed = try serve.request("GET", "/crash?kind=\(kind)")
            #expect(crashed.status == 500, "\(kind)")
            let body = try JSONValue.parse(crashed.text)
            #expect(body["error"] == "handler_crashed", "\(kind)")
            #expect(body["endpoint"] == "crash", "\(kind)")
            #expect(body["version"] == 1, "\(kind)")
            #expect(crashed.text.contains(message), "\(kind): \(crashed.text)")
            // The runtime says `H_crash_1/handler.swift:15`; the user is told their own path.
            #expect(!crashed.text.contains("H_crash_"), "\(kind): \(crashed.text)")
            if kind == "nil" {
                #expect(crashed.text.contains("crashed: handlers/crash/src/handler.swift:"), "\(crashed.text)")
            }
            #expect(try serve.request("GET", "/crash").status == 200, "the next request to the endpoint, after \(kind)")
            #expect(try await slow.value.status == 200, "the concurrent request, during \(kind)")
        }
        let crash = try #require(try endpoint("crash"))
        #expect(crash["crashes"] == JSONValue(Self.kinds.count))
        #expect(crash["state"] == "loaded")
        #expect(crash["activeRequests"] == 0)
        guard case .string(let time) = crash["lastCrash"]?["time"], case .string = crash["lastCrash"]?["message"] else {
            Issue.record("no lastCrash in \(crash)")
            return
        }
        #expect(time.hasSuffix("Z") && time.count == 20)
        if case .string(let last) = crash["lastCrash"]?["message"] { #expect(!last.contains("H_crash_"), "\(last)") }
        #expect(!serve.log.contains("crashed: H_crash_"))

        // The terminal names the source line where the runtime gave no message.
        let overflow = try await serve.waitFor("arithmetic overflow")
        #expect(overflow.contains("crash: v1 crashed at handlers/crash/src/handler.swift:"))
        // Host output never went through stdio: the access log goes on after the trap in `print`.
        #expect(try serve.request("GET", "/hello").status == 200)
        try await serve.waitFor("GET /hello 200", after: serve.log.count - 200)
        // ...and shutting down after it does not hang on the stdout lock.
        #expect(try await serve.terminate(SIGTERM, timeout: .seconds(15)) == 0)
    }

    @Test func browsersGetAnHTMLPage() async throws {
        let reply = try serve.request("GET", "/crash?kind=fatal", headers: ["Accept: text/html"])
        #expect(reply.status == 500)
        #expect(reply.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(reply.text.contains("crash v1"))
        #expect(reply.text.contains("the crash sample was asked to fail"))
    }

    @Test func aHandlerPastItsTimeoutGets504AndReleasesItsSlot() async throws {
        let started = ContinuousClock.now
        let reply = try serve.request("GET", "/crash?kind=hang&seconds=60")
        #expect(reply.status == 504)
        #expect(reply.text.contains("did not answer within 2 s"))
        #expect(ContinuousClock.now - started < .seconds(6))
        #expect(try endpoint("crash")?["activeRequests"] == 0)
        #expect(try status()["stats"]?["activeRequests"] == 0)
        try await serve.waitFor("crash: v1 timed out after 2 s")
    }

    @Test func aHandlerThatBlocksItsThreadDoesNotStopTheOthers() async throws {
        let port = serve.port
        // Enough blocked requests to hold every loop's thread at once.
        let blocked = (0..<4).map { _ in
            Task { try await onThread { try ServeProcess.get(port: port, "/crash?kind=block&seconds=3") } }
        }
        try await Task.sleep(for: .milliseconds(200))
        // Meanwhile other connections are answered, within the stall threshold and then at once.
        var slowest = Duration.zero
        for _ in 0..<20 {
            let started = ContinuousClock.now
            #expect(try ServeProcess.get(port: port, "/hello").status == 200)
            slowest = max(slowest, ContinuousClock.now - started)
        }
        #expect(slowest < .seconds(2))
        for request in blocked { #expect(try await request.value.status == 504) }
    }

    /// A handler that computes past the stall threshold, then answers: the loop has moved to a new
    /// thread meanwhile, and the answer must reach the client through it, once.
    @Test func aHandlerThatSpinsPastTheStallThresholdStillAnswers() async throws {
        let port = serve.port
        let spinning = (0..<3).map { _ in
            Task { try await onThread { try ServeProcess.get(port: port, "/crash?kind=spin&ms=800") } }
        }
        let hellos = (0..<4).map { _ in
            Task {
                try await onThread {
                    let connection = try RawHTTPClient(port: port)
                    var statuses: [Int] = []
                    for _ in 0..<200 {
                        try connection.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                        statuses.append(try connection.read().status)
                    }
                    return statuses
                }
            }
        }
        for request in spinning {
            let reply = try await request.value
            #expect(reply.status == 200)
            #expect(reply.text == "spun 800 ms")
        }
        for connection in hellos { #expect(try await connection.value.allSatisfy { $0 == 200 }) }
        #expect(try serve.request("GET", "/hello").status == 200)
    }

    @Test func aTrapInsideAStateUpdateLeavesTheStoreUsable() async throws {
        #expect(try serve.request("GET", "/crash?kind=state").text == "count 1")
        #expect(try serve.request("GET", "/crash?kind=state&trap=1").status == 500)
        let started = ContinuousClock.now
        #expect(try serve.request("GET", "/crash?kind=state").text == "count 2")
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test func tenThousandRequestsWithAThousandCrashes() async throws {
        let port = serve.port
        let kinds = ["nil", "index", "overflow", "fatal", "precondition", "async-let", "group", "cast"]
        let clients = 8
        let perClient = 1250
        let wrong = LockedList()
        let crashes = AtomicCounter()
        let successes = AtomicCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    try await onThread {
                        let connection = try RawHTTPClient(port: port)
                        for n in 0..<perClient {
                            let crashing = n % 10 == 9
                            let target =
                                crashing ? "/crash?kind=\(kinds[(n / 10 + client) % kinds.count])" : "/hello"
                            try connection.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
                            let reply = try connection.read()
                            if crashing && reply.status == 500 {
                                crashes.increment()
                            } else if !crashing && reply.status == 200 && reply.text == "Hello from edge-dev!\n" {
                                successes.increment()
                            } else {
                                wrong.append("\(target): \(reply.status) \(reply.text)")
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(wrong.items.isEmpty, "\(wrong.items.count) wrong answers, first: \(wrong.items.prefix(3))")
        #expect(crashes.value == 1000)
        #expect(successes.value == 9000)
        #expect(try endpoint("crash")?["crashes"] == 1000)
        #expect(try status()["stats"]?["activeRequests"] == 0)
        // Bounded: every trapped thread is gone, only the loops' replacements remain.
        guard case .number(let pid) = try status()["gateway"]?["pid"] else {
            Issue.record("no gateway pid")
            return
        }
        let threads = ServeProcess.threadCount(pid_t(pid))
        #expect(threads > 0 && threads < 40, "threads after 1,000 crashes: \(threads)")
    }

    @Test func theSupervisorRestartsAGatewayThatDied() async throws {
        let port = serve.port
        guard case .number(let firstPID) = try status()["gateway"]?["pid"] else {
            Issue.record("no gateway pid")
            return
        }
        // Connect continuously while the gateway dies and comes back: none may be refused.
        let refused = AtomicCounter()
        let stop = AtomicFlag()
        let prober = Task {
            try await onThread {
                while !stop.isSet {
                    do {
                        _ = try RawHTTPClient(port: port)
                    } catch let error as SystemError where error.code == ECONNREFUSED {
                        refused.increment()
                    }
                    usleep(5000)
                }
            }
        }
        _ = try? serve.request("GET", "/crash?kind=detached")
        // (The line may also name the endpoints that had requests in flight: "... while serving ...".)
        let died = try await serve.waitFor("edge-dev: the gateway process died (SIGILL)")
        #expect(died.contains("restarting it on the same socket (restart 1)"), "\(died)")
        // A trap outside handler code is not swallowed: Swift's own crash report, then the restart.
        #expect(serve.log.contains("*** Program crashed: Illegal instruction"))
        let restartedAt = serve.log.count
        try await serve.waitFor("ready:", after: restartedAt - 10)
        #expect(try serve.request("GET", "/hello").text == "Hello from edge-dev!\n")
        // The new gateway used the libraries the dead one built: no sources changed.
        #expect(serve.log.dropFirst(restartedAt).contains("reused (sources unchanged)"))
        stop.set()
        try await prober.value
        #expect(refused.value == 0)
        #expect(try status()["gateway"]?["restarts"] == 1)
        #expect(try status()["gateway"]?["pid"] != .number(firstPID))
    }
}
