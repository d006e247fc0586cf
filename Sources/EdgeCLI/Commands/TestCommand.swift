import EdgeHTTP
import EdgeSystem
import Examples
import Gateway
import Glibc
import HandlerBuild

/// `edge-dev test`: builds every endpoint and runs every `handlers/<id>/examples/*.hurl` once,
/// for CI. It serves on a port of its own with builds (`.edge/test-build`) and scratch data of
/// its own, so it runs beside a running `serve` without touching it or the user's data.
public enum TestCommand {
    public static let junit = Option<String?>(
        "--junit", "FILE", help: "Also write a JUnit XML report (one test case per file).")

    public static let spec = CommandSpec(
        name: "test",
        abstract: "Build every endpoint and run its examples (handlers/<id>/examples/*.hurl); exit 0 when all pass.",
        options: [CommonOptions.handlers, CommonOptions.release, junit])

    struct FileResult {
        var endpoint: String
        var outcome: ExampleRunner.Outcome

        /// `shown` failed because endpoint `id` did not build.
        static func notBuilt(_ id: String, _ shown: String) -> FileResult {
            FileResult(
                endpoint: id,
                outcome: ExampleRunner.Outcome(
                    file: shown, requests: 0, failure: "\(shown): endpoint \(id) did not build", durationMilliseconds: 0
                ))
        }
    }

    public static func run(_ arguments: ParsedArguments) async -> Int32 {
        guard let project = arguments.existingProject() else { return 1 }
        let style = TerminalStyle(fd: 1)
        let testProject = project.building(into: FilePath.join(project.edgeDirectory, "test-build"))
        let compiler: HandlerCompiler
        do {
            compiler = try HandlerCompiler(
                project: testProject, mode: arguments[CommonOptions.release] ? .release : .debug)
        } catch {
            HostLog.err("error: \(error)\n")
            return 1
        }
        let scratch = FilePath.join(FilePath.join(project.edgeDirectory, "scratch"), "test-\(getpid())")
        defer { FilePath.removeTree(scratch) }
        let devServer = DevServer(
            project: testProject, compiler: compiler, liveReload: false, journal: nil, runsExamples: false,
            dataDirectory: FilePath.join(scratch, "data"),
            report: { event in
                if case .buildFailed(let id, let diagnostics, _, _) = event {
                    for diagnostic in diagnostics where diagnostic.severity == .error {
                        HostLog.err("\(diagnostic.formatted)\n")
                    }
                    HostLog.err("\(id): build failed\n")
                }
            })
        devServer.discover()
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.accessLog = false
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: configuration, responder: devServer, listener: nil)
            try server.start()
        } catch {
            HostLog.err("error: cannot listen on 127.0.0.1: \(error)\n")
            return 1
        }
        devServer.listening(on: server.port)
        await devServer.buildAll()

        var results: [FileResult] = []
        for id in devServer.endpointIDs.sorted() {
            let files = devServer.exampleFiles(id)
            // An endpoint that does not build fails the run, examples or not.
            if devServer.registry.handler(for: id) == nil, files.isEmpty {
                results.append(.notBuilt(id, project.displayPath(project.endpointDirectory(id))))
                continue
            }
            guard !files.isEmpty else { continue }
            guard let version = devServer.registry.handler(for: id)?.version,
                let summary = await devServer.runExamples(id, version: version)
            else {
                for file in files { results.append(.notBuilt(id, project.displayPath(file))) }
                continue
            }
            results += summary.files.map { FileResult(endpoint: id, outcome: $0) }
        }
        _ = await server.stop(grace: .seconds(5))

        for result in results {
            let outcome = result.outcome
            if let failure = outcome.failure {
                HostLog.line("\(style.red("FAIL")) \(failure)")
            } else {
                HostLog.line(
                    "\(style.green("PASS")) \(outcome.file) (\(outcome.requests) request\(outcome.requests == 1 ? "" : "s"), "
                        + "\(Int(outcome.durationMilliseconds)) ms)")
            }
        }
        let failed = results.filter { !$0.outcome.passed }.count
        HostLog.line("\(results.count - failed) passed, \(failed) failed")
        if let path = arguments[junit] {
            do {
                try FilePath.write(junitXML(results), to: FilePath.absolute(path))
            } catch {
                HostLog.err("error: cannot write \(path): \(error)\n")
                return 1
            }
        }
        return failed == 0 ? 0 : 1
    }

    /// JUnit XML: a test suite per endpoint, a test case per file, its failure message.
    static func junitXML(_ results: [FileResult]) -> String {
        // Markup's escaping, less the control characters XML 1.0 cannot carry.
        func escape(_ text: String) -> String {
            Markup.escape(String(text.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" || $0 == "\t" }))
        }
        let failures = results.filter { !$0.outcome.passed }.count
        let seconds = results.reduce(0) { $0 + $1.outcome.durationMilliseconds } / 1000
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml +=
            "<testsuites name=\"edge-dev test\" tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(seconds)\">\n"
        var endpoints: [String] = []
        for result in results where !endpoints.contains(result.endpoint) { endpoints.append(result.endpoint) }
        for endpoint in endpoints {
            let cases = results.filter { $0.endpoint == endpoint }
            let failed = cases.filter { !$0.outcome.passed }.count
            xml += "  <testsuite name=\"\(escape(endpoint))\" tests=\"\(cases.count)\" failures=\"\(failed)\">\n"
            for result in cases {
                let outcome = result.outcome
                let name = FilePath.lastComponent(outcome.file)
                xml +=
                    "    <testcase classname=\"\(escape(endpoint))\" name=\"\(escape(name))\" file=\"\(escape(outcome.file))\" "
                xml += "time=\"\(outcome.durationMilliseconds / 1000)\""
                if let failure = outcome.failure {
                    xml +=
                        ">\n      <failure message=\"\(escape(failure))\">\(escape(failure))</failure>\n    </testcase>\n"
                } else {
                    xml += "/>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }
}
