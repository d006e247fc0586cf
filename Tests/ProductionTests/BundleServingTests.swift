import EdgeSystem
import EdgeTestSupport
import Glibc
import HandlerBuild
import Production
import Testing

/// `edge-dev bundle` and `serve --bundle`, with the real binary: a bundle that runs where no
/// toolchain is, reloads on SIGHUP, takes systemd's socket, and reports metrics that add up.
@Suite(.onOwnThreads, .serialized) struct BundleServingTests {
    /// The folders a bundle must not need: the toolchain's and the one edge-dev was built in.
    static func hiddenFolders() throws -> [String] {
        let swiftc = try Toolchain.locate().swiftc
        // /opt/swift/usr/bin/swiftc -> /opt/swift/usr
        let toolchain = FilePath.directory(of: FilePath.directory(of: FilePath.resolvingSymlinks(swiftc)))
        return [toolchain, FilePath.directory(of: FilePath.resolvingSymlinks(ServeProcess.executable))]
    }

    @Test func aCopiedBundleServesEverySampleWithTheToolchainHidden() async throws {
        let (project, bundle) = try await BundleFixture.shared.value
        let copy = FilePath.join(project.root, "copied-\(getpid())")
        try await BundleFixture.copy(bundle, to: copy)
        let empty = FilePath.join(project.root, "empty")
        try FilePath.createDirectories(empty)
        let hide = try Self.hiddenFolders().map { "mount --bind '\(empty)' '\($0)'" }.joined(separator: " && ")
        let serve = try BundleFixture.serve(
            copy, launcher: ["/usr/bin/unshare", "--mount", "/bin/sh", "-c", "\(hide) && exec \"$0\" \"$@\""])
        let port = try await serve.waitUntilReady()
        let ops = try await BundleFixture.opsPort(serve)

        #expect(try ServeProcess.get(port: port, "/hello").text == "Hello from edge-dev!\n")
        let created = try RawHTTPClient.request(
            port: port, "POST", "/notes", headers: ["Content-Type: application/json"],
            body: #"{"title":"bundled","body":"no toolchain"}"#)
        #expect(created.status == 201, "\(created.text)")
        #expect(try ServeProcess.get(port: port, "/notes").text.contains("bundled"))
        let todo = try RawHTTPClient.request(port: port, "POST", "/todos", body: #"{"title":"ship it"}"#)
        #expect(todo.status == 201, "\(todo.text)")
        // Through the shared module Validation:
        let refused = try RawHTTPClient.request(port: port, "POST", "/signup", body: #"{"email":"x"}"#)
        #expect(refused.status == 400 && refused.text.contains("required"), "\(refused.text)")
        #expect(try ServeProcess.get(port: port, "/crash?kind=nil").status == 500)
        // And every other sample answers from its handler (not 404, not a 5xx).
        let answers = [
            ("GET", "/echo"), ("GET", "/greeting"), ("GET", "/slow?ms=5"), ("GET", "/views/home"), ("POST", "/contact"),
        ]
        for (method, target) in answers {
            let reply = try RawHTTPClient.request(port: port, method, target, body: method == "POST" ? "{}" : nil)
            #expect(reply.status != 404 && reply.status < 500, "\(method) \(target): \(reply.status) \(reply.text)")
        }
        let bundled = try BundleManifest.read(bundle: copy).endpoints.map(\.id)
        #expect(Set(bundled) == Set(BundleFixture.samples.filter { !$0.hasPrefix("_") }), "\(bundled)")
        #expect(try ServeProcess.get(port: port, "/hello").status == 200)
        #expect(try ServeProcess.get(port: port, "/_edge/status").status == 404, "the public port serves handlers only")

        #expect(try ServeProcess.get(port: ops, "/health/live").status == 200)
        #expect(try ServeProcess.get(port: ops, "/health/ready").status == 200)
        let status = try ServeProcess.get(port: ops, "/status").text
        #expect(status.contains(#""id":"hello","state":"loaded""#), "\(status)")
        // The toolchain really was out of reach, and nothing tried to compile.
        #expect(!serve.log.contains("error"), "\(serve.log)")
        #expect(try await serve.terminate(SIGTERM) == 0)
    }

    @Test func metricsParseAsPrometheusTextAndCountTheRequestsSent() async throws {
        let (project, bundle) = try await BundleFixture.shared.value
        let copy = FilePath.join(project.root, "metrics-\(getpid())")
        try await BundleFixture.copy(bundle, to: copy)
        let serve = try BundleFixture.serve(
            copy,
            extra: ["--data", FilePath.join(project.root, "metrics-data"), "--handler-timeout", "0.3", "--journal"])
        let port = try await serve.waitUntilReady()
        let ops = try await BundleFixture.opsPort(serve)
        for _ in 0..<3 { _ = try ServeProcess.get(port: port, "/hello") }
        for _ in 0..<2 { _ = try ServeProcess.get(port: port, "/nowhere") }
        _ = try RawHTTPClient.request(port: port, "DELETE", "/hello")
        // A made-up method is one label, not a series of its own.
        _ = try RawHTTPClient.request(port: port, "BREW", "/hello")
        _ = try ServeProcess.get(port: port, "/crash?kind=nil")
        // A handler past its timeout: a 504, counted once, even when it answers later.
        #expect(try ServeProcess.get(port: port, "/slow?ms=800").status == 504)
        try await Task.sleep(for: .milliseconds(900))

        let text = try ServeProcess.get(port: ops, "/metrics").text
        let samples = try PrometheusText.parse(text)
        #expect(samples["edge_requests_total{endpoint=\"hello\",method=\"GET\",status=\"2xx\"}"] == 3)
        #expect(samples["edge_requests_total{endpoint=\"\",method=\"GET\",status=\"4xx\"}"] == 2)
        #expect(samples["edge_requests_total{endpoint=\"\",method=\"DELETE\",status=\"4xx\"}"] == 1)
        #expect(samples["edge_requests_total{endpoint=\"crash\",method=\"GET\",status=\"5xx\"}"] == 1)
        #expect(samples["edge_handler_crashes_total{endpoint=\"crash\"}"] == 1)
        #expect(samples["edge_request_duration_seconds_count{endpoint=\"hello\"}"] == 3)
        #expect(samples["edge_request_duration_seconds_bucket{endpoint=\"hello\",le=\"+Inf\"}"] == 3)
        #expect(samples["edge_requests_in_flight"] == 0)
        #expect(samples["edge_requests_total{endpoint=\"\",method=\"OTHER\",status=\"4xx\"}"] == 1)
        #expect(samples["edge_requests_total{endpoint=\"slow\",method=\"GET\",status=\"5xx\"}"] == 1)
        #expect(samples["edge_requests_total{endpoint=\"slow\",method=\"GET\",status=\"2xx\"}"] == nil)
        #expect(samples["edge_handler_timeouts_total{endpoint=\"slow\"}"] == 1)
        #expect(samples["edge_request_duration_seconds_count{endpoint=\"slow\"}"] == 1)
        #expect(samples.keys.contains { $0.hasPrefix("edge_build_info{toolchain=") })

        // --journal: the requests on the ops listener, secrets masked.
        _ = try RawHTTPClient.request(port: port, "GET", "/hello", headers: ["Authorization: Bearer s3cret-token"])
        let listed = try ServeProcess.get(port: ops, "/requests?limit=1").text
        let id = try #require(
            (try? JSONValue.parse(listed))?["requests"]?.arrayValue?.first?["id"]?.intValue, "\(listed)")
        let detail = try ServeProcess.get(port: ops, "/requests/\(id)").text
        #expect(detail.contains("\"target\":\"/hello\"") && detail.contains("••••"), "\(detail)")
        #expect(!detail.contains("s3cret-token"))
        #expect(try await serve.terminate(SIGTERM) == 0)
    }

    @Test func sighupSwapsOnlyTheChangedEndpointAndRefusesABrokenBundle() async throws {
        let (project, first) = try await BundleFixture.shared.value
        let second = FilePath.join(project.root, "bundle-2")
        let hello = FilePath.join(project.project.sourceDirectory("hello"), "handler.swift")
        let original = try FilePath.readText(hello)
        try FilePath.write(
            original.split(separator: "Hello from edge-dev!", omittingEmptySubsequences: false)
                .joined(separator: "Hello from the second bundle!"), to: hello)
        defer { try? FilePath.write(original, to: hello) }
        try await BundleFixture.bundleProject(project, to: second)
        let one = try BundleManifest.read(bundle: first)
        let two = try BundleManifest.read(bundle: second)
        // Unchanged sources give the same hashes; the edited endpoint alone differs.
        let changed = zip(one.endpoints, two.endpoints).filter { $0.hash != $1.hash }.map(\.0.id)
        #expect(changed == ["hello"])

        let current = FilePath.join(project.root, "current-\(getpid())")
        #expect(symlink(first, current) == 0)
        let serve = try BundleFixture.serve(current, executable: FilePath.join(first, "bin/edge-dev"))
        let port = try await serve.waitUntilReady()
        let ops = try await BundleFixture.opsPort(serve)
        #expect(try ServeProcess.get(port: port, "/hello").text == "Hello from edge-dev!\n")
        let todosBefore = try ServeProcess.get(port: ops, "/status").text
        let title = "kept across reloads \(getpid())"
        let created = try RawHTTPClient.request(port: port, "POST", "/todos", body: #"{"title":"\#(title)"}"#)
        #expect(created.status == 201, "\(created.text)")

        unlink(current)
        #expect(symlink(second, current) == 0)
        var offset = serve.log.count
        kill(serve.pid, SIGHUP)
        let line = try await serve.waitFor("reloaded", after: offset)
        #expect(line.contains("swapped hello;") && line.contains("\(one.endpoints.count - 1) unchanged"), "\(line)")
        #expect(try ServeProcess.get(port: port, "/hello").text == "Hello from the second bundle!\n")
        // ctx.state is the data folder's: the reload kept it.
        #expect(try ServeProcess.get(port: port, "/todos").text.contains(title))
        let todosAfter = try ServeProcess.get(port: ops, "/status").text
        #expect(Self.version("todos", todosBefore) == Self.version("todos", todosAfter))
        #expect(Self.version("hello", todosBefore) != Self.version("hello", todosAfter))

        // A bundle missing a library it lists: refused, the running one keeps serving.
        let broken = FilePath.join(project.root, "broken-\(getpid())")
        try await BundleFixture.copy(second, to: broken)
        unlink(FilePath.join(broken, "lib/libswiftCore.so"))
        unlink(current)
        #expect(symlink(broken, current) == 0)
        offset = serve.log.count
        kill(serve.pid, SIGHUP)
        let refusal = try await serve.waitFor("reload refused", after: offset)
        #expect(refusal.contains("libswiftCore.so is missing"), "\(refusal)")
        #expect(try ServeProcess.get(port: port, "/hello").text == "Hello from the second bundle!\n")
        // A manifest that does not parse: refused too, naming the file.
        try FilePath.write("{ not json", to: FilePath.join(broken, "manifest.json"))
        offset = serve.log.count
        kill(serve.pid, SIGHUP)
        let unreadable = try await serve.waitFor("reload refused", after: offset)
        #expect(unreadable.contains("manifest.json"), "\(unreadable)")
        #expect(try ServeProcess.get(port: port, "/hello").status == 200)
        #expect(try await serve.terminate(SIGTERM) == 0)

        // And a restart on the same data.
        unlink(current)
        #expect(symlink(second, current) == 0)
        let again = try BundleFixture.serve(current, executable: FilePath.join(second, "bin/edge-dev"))
        let againPort = try await again.waitUntilReady()
        #expect(try ServeProcess.get(port: againPort, "/todos").text.contains(title))
        #expect(try await again.terminate(SIGTERM) == 0)
    }

    @Test func itServesOnTheSocketSystemdPassesIn() async throws {
        let (project, bundle) = try await BundleFixture.shared.value
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        // As systemd does: the socket on descriptor 3, LISTEN_FDS=1, LISTEN_PID the service's pid
        // (the shell's, which `exec` keeps).
        let serve = try BundleFixture.serve(
            bundle, launcher: ["/bin/sh", "-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\""],
            extra: ["--data", FilePath.join(project.root, "activation-data")], handOver: listener.fd)
        let port = try await serve.waitUntilReady()
        #expect(port == listener.localPort)
        #expect(try ServeProcess.get(port: listener.localPort, "/hello").status == 200)
        #expect(try await serve.terminate(SIGTERM) == 0)
    }

    @Test func aBundleThatDoesNotBuildNamesTheEndpointAndIsNotWritten() async throws {
        let project = try TestProject(samples: ["hello"])
        try project.write(
            "broken", "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response {\n    .text(42)\n}\n")
        let output = FilePath.join(project.root, "bundle")
        let result = try await onThread {
            try runCommand([
                ServeProcess.executable, "bundle", "--handlers", project.project.handlersDirectory, "-o", output,
            ])
        }
        #expect(result.status == 1)
        #expect(result.output.contains("endpoint broken did not build"), "\(result.output)")
        #expect(result.output.contains("handlers/broken/src/handler.swift:3:11: error"), "\(result.output)")
        #expect(!FilePath.exists(output))
        #expect(FilePath.contents(of: project.root).allSatisfy { !$0.hasPrefix("bundle.partial") })

        // What a bundling killed half-way leaves (its process gone) is cleared by the next one;
        // a pipe closed early does not stop the build.
        let abandoned = FilePath.join(project.project.edgeDirectory, "bundle-build-999999")
        try FilePath.createDirectories(abandoned)
        try FilePath.createDirectories(FilePath.join(project.root, "bundle.partial-999999"))
        FilePath.removeTree(project.project.endpointDirectory("broken"))
        let piped = try await onThread {
            try runCommand([
                "/bin/sh", "-c",
                "'\(ServeProcess.executable)' bundle --handlers '\(project.project.handlersDirectory)' -o '\(output)' | head -c 1",
            ])
        }
        #expect(piped.status == 0)
        let built = await eventually(timeout: .seconds(60)) { FilePath.exists(FilePath.join(output, "manifest.json")) }
        #expect(built, "the bundle was written although its output pipe closed")
        #expect(!FilePath.exists(abandoned))
        #expect(!FilePath.exists(FilePath.join(project.root, "bundle.partial-999999")))
    }

    @Test func instancesWithReusePortShareOnePort() async throws {
        let (project, bundle) = try await BundleFixture.shared.value
        let data = ["--data", FilePath.join(project.root, "reuse-data")]
        let first = try BundleFixture.serve(bundle, extra: ["--reuse-port"] + data)
        let port = try await first.waitUntilReady()
        let second = try BundleFixture.serve(bundle, extra: ["--reuse-port", "--port", "\(port)"] + data)
        #expect(try await second.waitUntilReady() == port)
        // Without the option the port is taken.
        let third = try BundleFixture.serve(bundle, extra: ["--port", "\(port)"] + data)
        try await third.waitFor("cannot listen")
        #expect(try await first.terminate(SIGTERM) == 0)
        #expect(try ServeProcess.get(port: port, "/hello").status == 200, "the second instance serves on alone")
        #expect(try await second.terminate(SIGTERM) == 0)
    }

    /// The `version` of endpoint `id` in a `/status` document.
    static func version(_ id: String, _ status: String) -> Int? {
        guard let document = try? JSONValue.parse(status) else { return nil }
        return document["endpoints"]?.arrayValue?.first { $0["id"]?.stringValue == id }?["version"]?.intValue
    }
}
