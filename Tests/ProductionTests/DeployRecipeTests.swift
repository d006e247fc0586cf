import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

/// The recipes under deploy/ run as written: the systemd unit's commands the way systemd runs
/// them, the Dockerfile's entry point against a real bundle's layout, the Kubernetes probes
/// against that instance. (No container engine or systemd here: what they would do is done by
/// hand, with the recipes' own words.)
@Suite(.onOwnThreads, .serialized) struct DeployRecipeTests {
    static let deploy = FilePath.join(TestProject.repositoryRoot, "deploy")

    /// The value of `key=` in a unit file.
    static func unitValue(_ text: String, _ key: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    @Test func theSystemdUnitsStartReloadAndStopABundleAsSystemdWould() async throws {
        let (project, bundle) = try await BundleFixture.shared.value
        let service = try FilePath.readText(FilePath.join(Self.deploy, "systemd/edge-dev.service"))
        let socketUnit = try FilePath.readText(FilePath.join(Self.deploy, "systemd/edge-dev.socket"))
        let listen = try #require(Self.unitValue(socketUnit, "ListenStream"))
        #expect(listen.split(separator: ":").count == 2 && Int(listen.split(separator: ":")[1]) != nil, "\(listen)")

        // /srv/edge-dev/current -> a link to the test's bundle, /srv/edge-dev/data -> a folder.
        let srv = FilePath.join(project.root, "srv-\(getpid())")
        try FilePath.createDirectories(srv)
        #expect(symlink(bundle, FilePath.join(srv, "current")) == 0)
        let start = try #require(Self.unitValue(service, "ExecStart")).replacingAll("/srv/edge-dev", with: srv)
        // The ops port too: a fixed one may be taken on a test machine.
        let words = start.split(separator: " ").map { $0 == "127.0.0.1:9090" ? "127.0.0.1:0" : String($0) }
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let serve = try ServeProcess(
            command: ["/bin/sh", "-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\""] + words,
            logPath: FilePath.join(project.root, "systemd-\(getpid()).log"),
            handOver: listener.fd)
        _ = try await serve.waitUntilReady()
        let reply = try ServeProcess.get(port: listener.localPort, "/hello")
        #expect(reply.status == 200)
        // --log-format json: one object per line.
        let logged = try await serve.waitFor("\"target\":\"/hello\"")
        #expect((try? JSONValue.parse(logged))?["status"]?.intValue == 200, "\(logged)")

        // ExecReload, with $MAINPID as systemd fills it in.
        let reload = try #require(Self.unitValue(service, "ExecReload")).replacingAll("$MAINPID", with: "\(serve.pid)")
        let offset = serve.log.count
        let ran = try await onThread { try runCommand(reload.split(separator: " ").map(String.init)) }
        #expect(ran.status == 0)
        try await serve.waitFor("reloaded", after: offset)
        // KillSignal, within TimeoutStopSec.
        #expect(Self.unitValue(service, "KillSignal") == "SIGTERM")
        let stop = Int(Self.unitValue(service, "TimeoutStopSec") ?? "") ?? 0
        #expect(try await serve.terminate(SIGTERM, timeout: .seconds(stop)) == 0)
    }

    @Test func theContainerEntryPointServesTheBundleAndAnswersTheKubernetesProbes() async throws {
        let (project, bundle) = try await BundleFixture.shared.value
        let dockerfile = try FilePath.readText(FilePath.join(Self.deploy, "container/Dockerfile"))
        let lines = dockerfile.split(separator: "\n").map(String.init)
        // The build stage writes the bundle where the run stage copies it from.
        let bundling = try #require(lines.first { $0.contains(" bundle --handlers ") })
        let output = try #require(bundling.split(separator: " ").drop { $0 != "-o" }.dropFirst().first)
        let copyLine = try #require(lines.first { $0.hasPrefix("COPY --from=build ") })
        let copyWords = copyLine.split(separator: " ")
        #expect(copyWords[2] == output, "\(copyLine) copies what \(bundling) writes")
        let app = String(copyWords[3])

        // The entry point, with the image's folders mapped onto the test's and free ports.
        let entry = try #require(lines.first { $0.hasPrefix("ENTRYPOINT ") })
        let words = try #require(try JSONValue.parse(String(entry.dropFirst("ENTRYPOINT ".count))).arrayValue)
            .compactMap(\.stringValue)
        let data = FilePath.join(project.root, "container-data-\(getpid())")
        let mapped = words.map { word -> String in
            if word.hasPrefix(app + "/") || word == app { return bundle + word.dropFirst(app.count) }
            if word == "/data" { return data }
            if word == "8080" { return "0" }
            if word == "0.0.0.0:9090" { return "127.0.0.1:0" }
            return word == "0.0.0.0" ? "127.0.0.1" : word
        }
        #expect(FilePath.exists(mapped[0]), "the entry point \(words[0]) is in the bundle")
        let serve = try ServeProcess(command: mapped, logPath: FilePath.join(project.root, "container-\(getpid()).log"))
        let port = try await serve.waitUntilReady()
        let ops = try await BundleFixture.opsPort(serve)
        #expect(try ServeProcess.get(port: port, "/hello").status == 200)

        // Kubernetes: the probes' paths and port are the ops listener's.
        let manifest = try FilePath.readText(FilePath.join(Self.deploy, "container/kubernetes.yaml"))
        #expect(words.contains("0.0.0.0:9090"))
        for probe in ["readinessProbe", "livenessProbe"] {
            let line = try #require(
                manifest.split(separator: "\n").drop { !$0.contains(probe) }.dropFirst().first.map(String.init))
            let path = try #require(line.split(separator: " ").first { $0.hasPrefix("/health/") }).trimmingCharacters(
                in: ",")
            #expect(line.contains("port: 9090"), "\(probe): \(line)")
            #expect(try ServeProcess.get(port: ops, path).status == 200, "\(probe) \(path)")
        }
        #expect(try await serve.terminate(SIGTERM) == 0)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String { String(self.filter { !set.contains($0) }) }
}
