import EdgeHTTP
import EdgeSystem
import EdgeTestSupport
import Gateway
import Glibc
import HandlerBuild
import HandlerRuntime
import Testing

/// `edge-dev serve` as a user runs it: the real binary, a real project folder, real HTTP.
@Suite(.onOwnThreads, .serialized) struct ServeTests {
    @Test func sigtermLetsInFlightRequestsFinishThenExitsZero() async throws {
        let test = try TestProject(samples: ["hello", "slow"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await serve.waitUntilReady()
        #expect(try serve.request("GET", "/hello").status == 200)

        let slow = Task {
            try await onThread { () -> Int in
                let client = try RawHTTPClient(port: port)
                try client.send("GET /slow?ms=4000 HTTP/1.1\r\nHost: x\r\n\r\n")
                return try client.read().status
            }
        }
        // SIGTERM only once the server is running the request (a fixed wait raced a loaded
        // machine: the request had not been read yet, so it was an idle connection, closed). The
        // handler runs 4 s: on a loaded CI machine one status request took over a second.
        let deadline = ContinuousClock.now + .seconds(20)
        while try JSONValue.parse(try serve.request("GET", "/_edge/status").text)["stats"]?["activeRequests"] != 1 {
            guard ContinuousClock.now < deadline else {
                throw SystemError("the slow request never started; serve's output:\n\(serve.log.suffix(3000))", code: 0)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let code = try await serve.terminate(SIGTERM)
        #expect(code == 0)
        #expect(try await slow.value == 200)
        #expect(serve.log.contains("terminate: finishing requests in flight"))
        // Once stopped, nothing listens.
        #expect(throws: (any Error).self) { try RawHTTPClient(port: port) }
    }

    @Test func portInUseIsAClearError() async throws {
        let test = try TestProject(samples: ["hello"])
        let first = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await first.waitUntilReady()
        let second = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--port", String(port)])
        await #expect(throws: (any Error).self) { try await second.waitFor("never printed", timeout: .seconds(20)) }
        #expect(second.log.contains("error: cannot listen on 127.0.0.1:\(port)"))
        #expect(try await first.terminate() == 0)
    }

    /// A supervisor killed outright (`kill -9`, the OOM killer) takes its gateway with it, also
    /// after the gateway has built, served and idled long enough for Dispatch to retire the
    /// threads it started with (5 s): the parent-death signal is kept per thread, and gateways
    /// whose signal was asked on such a thread outlived their supervisors.
    @Test func aGatewayEndsWhenItsSupervisorIsKilled() async throws {
        let test = try TestProject(samples: ["hello", "echo", "slow"])
        let serve = try ServeProcess(handlers: test.project.handlersDirectory)
        let port = try await serve.waitUntilReady()
        let gateway = try #require(serve.gatewayPID())
        // Work on many threads at once: three builds and requests from eight threads.
        for id in ["hello", "echo", "slow"] {
            let file = FilePath.join(test.project.handlersDirectory, "\(id)/src/handler.swift")
            try FilePath.write(try FilePath.readText(file) + "\n// edited\n", to: file)
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    _ = try? await onThread { for _ in 0..<20 { _ = try ServeProcess.get(port: port, "/slow?ms=5") } }
                }
            }
        }
        try await Task.sleep(for: .seconds(7))
        kill(serve.pid, SIGKILL)
        let ended = await eventually(timeout: .seconds(15)) { ServeProcess.hasEnded(gateway) }
        if !ended { kill(gateway, SIGKILL) }
        #expect(ended, "the gateway outlived its supervisor; its output:\n\(serve.log.suffix(2000))")
        #expect(serve.log.contains("terminate: finishing requests in flight"))
    }
}
