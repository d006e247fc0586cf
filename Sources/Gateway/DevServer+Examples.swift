import DataServices
import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Examples
import Glibc
import HandlerRuntime
import Synchronization

/// `handlers/<id>/examples/*.hurl`, run after every successful swap against the new version.
///
/// The examples go over HTTP to this server itself, so a handler that crashes on one costs that
/// request only (the crash barrier), with a header naming the run: such a request is routed to
/// the run's version, with a scratch namespace of its own (an in-memory `ctx.state`, databases
/// with their migrations, cache and storage under `.edge/scratch/<id>`, emptied before each run),
/// and is not journaled. The user's data is never touched.
extension DevServer {
    /// The header that puts a request in an example run's namespace.
    static let exampleHeader = "X-Edge-Example-Run"

    /// One run's namespace, found by the run's token.
    struct ExampleRun: Sendable {
        var endpoint: String
        var version: Int
        var services: ProjectServices
        var store: StateStore
    }

    public struct ExampleSummary: Sendable, Equatable {
        public var version: Int
        public var passed: Int
        public var total: Int
        /// The first failure (`handlers/todos/examples/create.hurl:7: expected status 201, got 400`).
        public var failure: String?
        public var milliseconds: Double
        public var files: [ExampleRunner.Outcome]
    }

    /// The example files of `id`, in file order.
    public func exampleFiles(_ id: String) -> [String] {
        let folder = FilePath.join(project.endpointDirectory(id), "examples")
        return FilePath.contents(of: folder).filter { $0.hasSuffix(".hurl") && !$0.hasPrefix(".") }.sorted().map {
            FilePath.join(folder, $0)
        }
    }

    /// Runs the examples of `id` against version `version` (on this server's own port) and
    /// reports the result; nil when the endpoint has none or the server does not listen yet.
    @discardableResult
    public func runExamples(_ id: String, version: Int) async -> ExampleSummary? {
        let files = exampleFiles(id)
        let port = listeningPort
        guard !files.isEmpty, port > 0 else { return nil }
        let start = MonotonicClock.nanoseconds()
        // Per run: a running serve and `edge-dev test` beside it, or two runs of one endpoint
        // after quick saves, never share a namespace; each goes when its run ends.
        let token = "\(id)-\(version)-\(UInt64.random(in: 0...UInt64.max))"
        let scratch = FilePath.join(FilePath.join(project.edgeDirectory, "scratch"), "\(getpid())-\(token)")
        FilePath.removeTree(scratch)
        defer { FilePath.removeTree(scratch) }
        let services = ProjectServices(project: project, dataDirectory: FilePath.join(scratch, "data"))
        services.migrate()
        exampleRuns.withLock {
            $0[token] = ExampleRun(endpoint: id, version: version, services: services, store: StateStore())
        }
        defer { exampleRuns.withLock { _ = $0.removeValue(forKey: token) } }
        var outcomes: [ExampleRunner.Outcome] = []
        for file in files {
            let shown = project.displayPath(file)
            let timeoutSeconds = Int(handlerTimeout.nanoseconds / 1_000_000_000) + 5
            let outcome: ExampleRunner.Outcome
            do {
                // The runner blocks on its socket: a thread of its own, not the cooperative pool.
                outcome = try await onOwnThread(name: "edge-examples") {
                    do {
                        let parsed = try HurlParser.parse(try FilePath.readText(file), path: shown)
                        return ExampleRunner.run(
                            parsed, port: port, headers: [(Self.exampleHeader, token)], timeoutSeconds: timeoutSeconds)
                    } catch {
                        return ExampleRunner.Outcome(
                            file: shown, requests: 0,
                            failure: (error as? HurlFile.SyntaxError).map { "\($0.file):\($0.line): \($0.message)" }
                                ?? "\(shown): cannot read it: \(error)", durationMilliseconds: 0)
                    }
                }
            } catch {
                outcome = ExampleRunner.Outcome(
                    file: shown, requests: 0, failure: "\(shown): cannot start a thread: \(error)",
                    durationMilliseconds: 0)
            }
            outcomes.append(outcome)
        }
        let summary = ExampleSummary(
            version: version, passed: outcomes.filter(\.passed).count, total: outcomes.count,
            failure: outcomes.first { !$0.passed }?.failure, milliseconds: MonotonicClock.milliseconds(since: start),
            files: outcomes)
        state.withLock { state in
            // An older version's run that ends after a newer one's does not replace it.
            if (state.records[id]?.examples?.version ?? 0) <= version { state.records[id]?.examples = summary }
        }
        report(
            .examplesRan(
                endpoint: id, version: version, passed: summary.passed, total: summary.total, failure: summary.failure,
                milliseconds: summary.milliseconds))
        return summary
    }

    /// The run a request belongs to, when it carries a live run's token.
    func exampleRun(for incoming: IncomingRequest) -> ExampleRun? {
        guard let token = incoming.request.headers.first(Self.exampleHeader) else { return nil }
        return exampleRuns.withLock { $0[token] }
    }

    /// A request of an example run: to the run's version, in its namespace.
    func answerExample(_ run: ExampleRun, _ incoming: IncomingRequest) -> Reply {
        var incoming = incoming
        let request = incoming.request
        guard
            case .found(let id, let parameters) = state.withLock({
                $0.routes.match(method: request.method, path: request.path)
            })
        else {
            return .now(ErrorPage.response(.notFound("no route for \(request.path)"), for: incoming), tag: "example")
        }
        incoming.request.pathParameters = parameters
        guard
            let handler = registry.keptVersion(
                id, id == run.endpoint ? run.version : (registry.handler(for: id)?.version ?? -1))
        else {
            return .now(
                ErrorPage.response(.serviceUnavailable("'\(id)' has no version to run examples on"), for: incoming),
                tag: "example")
        }
        let env = state.withLock { $0.records[id]?.env } ?? Environment()
        var endpoint = Endpoint(store: id == run.endpoint ? run.store : StateStore(), liveReload: false, env: env)
        endpoint.services = run.services
        endpoint.isExample = true
        return self.run(handler.acquireForReplay(), endpoint, incoming)
    }
}
