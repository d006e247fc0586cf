import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

/// Fault tests with the real binary: what happens at the edges of the machine's resources and
/// of a handler's behaviour.
@Suite(.serialized) struct HardeningTests {
    /// CPU seconds (user + system) `pid` has used, from /proc.
    static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let stat = try? FilePath.readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else {
            return 0
        }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
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
        for _ in 0..<300 { flood.append(try Socket.connect(host: "127.0.0.1", port: port).fd) }
        try await serve.waitFor("cannot accept connections", timeout: .seconds(10))
        let before = Self.cpuSeconds(serve.pid)
        try await Task.sleep(for: .seconds(2))
        let used = Self.cpuSeconds(serve.pid) - before
        #expect(used < 0.5, "the gateway used \(used) s of CPU in 2 s while out of descriptors")

        // The connection already open is still served.
        try kept.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try kept.read().status == 200)
        let lines = serve.log.split(separator: "\n").filter { $0.contains("cannot accept connections") }
        #expect(lines.count <= 2, "one line per interval, not per attempt: \(lines.count)")
        #expect(lines.first?.contains("open-files limit 128") == true, "\(lines.first ?? "")")

        // Descriptors come back: new connections are accepted again.
        for fd in flood { close(fd) }
        flood = []
        try await Task.sleep(for: .milliseconds(500))
        #expect(try ServeProcess.get(port: port, "/hello").status == 200)
        #expect(try await serve.terminate(SIGTERM) == 0)
    }
}
