import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Glibc
import HandlerBuild
import HandlerRuntime
import Synchronization

/// The dev server's brain: the project's endpoints, their manifests and builds, the route table
/// and the registry, answering HTTP requests through them.
///
/// Builds and reloads are driven from outside (start-up, the watcher); requests are answered
/// through `reply(to:)`, which never blocks the event loop.
public final class DevServer: HTTPResponder, Sendable {
    public let project: Project
    public let compiler: HandlerCompiler
    public let registry: HandlerRegistry
    public let drainTimeout: Duration
    /// How long a request waits for an endpoint's first build before a 503.
    public let firstBuildWait: Duration
    /// How long a handler may take before its request is answered 504.
    public let handlerTimeout: Duration
    /// How often the supervisor has restarted this gateway process (for `/_edge/status`).
    public let restarts: Int
    /// Whether HTML responses get the live-reload script (endpoints may still opt out).
    public let liveReload: Bool
    /// Every event, for `/_edge/events`.
    public let events = EventHub()
    private let locator: CrashLocator

    private struct BuildSummary: Sendable {
        var ok: Bool
        var milliseconds: Double
        var diagnostics: [Diagnostic]
        /// When it finished, seconds since the epoch.
        var time = Int(Glibc.time(nil))
        /// The library an earlier run built from the same sources, used again.
        var reused = false
    }

    private struct CrashSummary: Sendable {
        var version: Int
        var message: String
        var time: Int
        var location: String?
    }

    private struct Record: Sendable {
        var manifest: EndpointManifest?
        var manifestError: ManifestError?
        var lastBuild: BuildSummary?
        var crashes = 0
        var lastCrash: CrashSummary?
        let firstBuild = AsyncGate()
        /// `ctx.state`: the endpoint's data, kept across swaps, dropped with the endpoint.
        let store = StateStore()
    }

    private struct State: Sendable {
        var records: [String: Record] = [:]
        var routes = RouteTable()
    }

    private let state = Mutex(State())
    /// Per endpoint, the number of the newest rebuild; only it may swap.
    private let generations = Mutex<[String: Int]>([:])
    private let report: @Sendable (DevEvent) -> Void
    /// Where `ctx.log` goes: a line per record, as a `handlerLog` event.
    private let logSink: LogSink

    public init(
        project: Project, compiler: HandlerCompiler, drainTimeout: Duration = HandlerRegistry.defaultDrainTimeout,
        firstBuildWait: Duration = .seconds(60), handlerTimeout: Duration = .seconds(30), restarts: Int = 0,
        liveReload: Bool = true, report: @escaping @Sendable (DevEvent) -> Void = { _ in }
    ) {
        self.project = project
        self.compiler = compiler
        self.registry = HandlerRegistry(buildRoot: project.buildRoot)
        self.drainTimeout = drainTimeout
        self.firstBuildWait = firstBuildWait
        self.handlerTimeout = handlerTimeout
        self.restarts = restarts
        self.liveReload = liveReload
        self.locator = CrashLocator(
            toolchain: compiler.toolchain, scratchDirectory: FilePath.join(project.edgeDirectory, "tmp"))
        let events = self.events
        let publish: @Sendable (DevEvent) -> Void = { event in
            report(event)
            events.publish(event)
        }
        self.report = publish
        logSink = LogSink { record in
            publish(
                .handlerLog(
                    "[\(record.endpointID) v\(record.version) \(record.requestID)] \(record.level.rawValue): \(record.message)"
                ))
        }
        registry.onRetire { handler, reason in
            // A version idle when replaced is retired inside the swap; `load` reports it after the
            // swap, so events read in the order they make sense.
            guard reason != .idle else { return }
            publish(.retired(endpoint: handler.endpointID, version: handler.version, reason: reason))
        }
    }

    // MARK: - Endpoints

    /// Ids of the endpoints known now.
    public var endpointIDs: [String] { state.withLock { $0.records.keys.sorted() } }

    /// Registers every endpoint of the project and routes them; builds nothing yet.
    public func discover() {
        for id in project.endpointIDs() { register(id) }
        refreshRoutes()
    }

    /// Builds every known endpoint, in parallel up to the number of cores, loading each as it
    /// succeeds.
    public func buildAll() async {
        await withTaskGroup(of: Void.self) { group in
            for id in endpointIDs { group.addTask { _ = await self.rebuild(id) } }
        }
    }

    /// A new `handlers/<id>/` folder (or its `src/`): register, route, build. For an endpoint
    /// already known, a rebuild.
    public func endpointAdded(_ id: String) async {
        guard Project.isValidEndpointID(id), FilePath.isDirectory(project.sourceDirectory(id)) else { return }
        if state.withLock({ $0.records[id] != nil }) {
            _ = await rebuild(id)
            return
        }
        register(id)
        refreshRoutes()
        report(.endpointAdded(endpoint: id))
        _ = await rebuild(id)
    }

    /// A removed `handlers/<id>/` folder: stop routing to it; its in-flight requests finish.
    public func endpointRemoved(_ id: String) {
        guard state.withLock({ $0.records.removeValue(forKey: id) }) != nil else { return }
        refreshRoutes()
        registry.remove(id, drainTimeout: drainTimeout)
        report(.endpointRemoved(endpoint: id))
    }

    /// `endpoint.json` changed: re-read it and re-route, without rebuilding.
    public func manifestChanged(_ id: String) {
        guard state.withLock({ $0.records[id] != nil }) else { return }
        loadManifest(id)
        refreshRoutes()
        report(.routesChanged(endpoint: id))
    }

    /// Builds `id` (a no-op when its sources are unchanged) and gracefully swaps to the result.
    /// A failed build leaves the serving version in place.
    ///
    /// Rebuilds of one endpoint may overlap (saves arrive during builds): the compiler cancels the
    /// older build, and only the newest rebuild may swap, so the endpoint never ends up on code
    /// older than the last save.
    @discardableResult
    public func rebuild(_ id: String) async -> BuildResult? {
        guard let gate = state.withLock({ $0.records[id]?.firstBuild }) else { return nil }
        let generation = generations.withLock { generations -> Int in
            generations[id, default: 0] += 1
            return generations[id]!
        }
        report(.buildStarted(endpoint: id))
        let result = await compiler.build(id)
        defer { if result.status != .superseded { gate.open() } }
        switch result.status {
        case .superseded:
            return result
        case .failed:
            guard isNewest(id, generation) else { return result }
            record(
                id, BuildSummary(ok: false, milliseconds: result.durationMilliseconds, diagnostics: result.diagnostics))
            registry.markFailed(id, message: result.errors.map(\.formatted).joined(separator: "\n"))
            report(
                .buildFailed(
                    endpoint: id, diagnostics: result.diagnostics, milliseconds: result.durationMilliseconds,
                    serving: registry.handler(for: id)?.version))
            return result
        case .built, .unchanged:
            guard let path = result.libraryPath else { return result }
            load(id, path: path, result: result, generation: generation)
            return result
        }
    }

    private func isNewest(_ id: String, _ generation: Int) -> Bool {
        generations.withLock { $0[id] == generation }
    }

    /// Swaps to `path` unless a newer rebuild has started (it will swap instead) or that
    /// version already serves. The check and the swap hold one lock, so two rebuilds' swaps
    /// cannot interleave.
    private func load(_ id: String, path: String, result: BuildResult, generation: Int) {
        let outcome = generations.withLock { generations -> Result<(SwapResult, Bool)?, LoadError> in
            guard generations[id] == generation, state.withLock({ $0.records[id] != nil }) else { return .success(nil) }
            let serving = registry.handler(for: id)
            if let serving, serving.version == result.version { return .success(nil) }
            do throws(LoadError) {
                let swap = try registry.swapGraceful(id, to: path, version: result.version, drainTimeout: drainTimeout)
                return .success((swap, serving != nil))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(nil):
            return
        case .success(let (swap, replaced)?):
            record(
                id,
                BuildSummary(
                    ok: true, milliseconds: result.durationMilliseconds, diagnostics: result.diagnostics,
                    reused: result.status == .unchanged))
            report(
                .buildSucceeded(
                    endpoint: id, version: swap.newVersion, milliseconds: result.durationMilliseconds,
                    swap: replaced ? swap : nil))
            if replaced, !swap.draining, let old = swap.oldVersion {
                report(.retired(endpoint: id, version: old, reason: .idle))
            }
        case .failure(let error):
            let diagnostic = Diagnostic(file: nil, line: nil, column: nil, severity: .error, message: "\(error)")
            record(id, BuildSummary(ok: false, milliseconds: result.durationMilliseconds, diagnostics: [diagnostic]))
            registry.markFailed(id, message: "\(error)")
            report(
                .buildFailed(
                    endpoint: id, diagnostics: [diagnostic], milliseconds: result.durationMilliseconds,
                    serving: registry.handler(for: id)?.version))
        }
    }

    /// Compares the project on disk with what is known (after lost file events): adds new
    /// endpoints, removes vanished ones, re-reads every manifest, and rebuilds what changed (the
    /// content hashes skip the rest).
    public func rescan() async {
        let onDisk = Set(project.endpointIDs())
        let known = Set(endpointIDs)
        for id in known.subtracting(onDisk) { endpointRemoved(id) }
        for id in known.intersection(onDisk) { loadManifest(id) }
        refreshRoutes()
        await withTaskGroup(of: Void.self) { group in
            for id in onDisk.subtracting(known) { group.addTask { await self.endpointAdded(id) } }
            for id in onDisk.intersection(known) { group.addTask { _ = await self.rebuild(id) } }
        }
    }

    private func record(_ id: String, _ summary: BuildSummary) {
        state.withLock { $0.records[id]?.lastBuild = summary }
    }

    private func register(_ id: String) {
        state.withLock { state in
            if state.records[id] == nil { state.records[id] = Record() }
        }
        registry.markCreated(id)
        loadManifest(id)
    }

    private func loadManifest(_ id: String) {
        var manifest: EndpointManifest?
        var problem: ManifestError?
        do {
            manifest = try EndpointManifest.load(id, in: project)
        } catch {
            problem = error
        }
        state.withLock { state in
            state.records[id]?.manifest = manifest
            state.records[id]?.manifestError = problem
        }
        if let problem { report(.routeError(endpoint: id, error: problem)) }
    }

    /// Rebuilds the route table from every valid manifest and swaps it in atomically.
    private func refreshRoutes() {
        let conflicts = state.withLock { state -> [String: ManifestError] in
            let manifests = state.records.compactMap { id, record in
                record.manifest.map { (id: id, manifest: $0, file: project.displayPath(project.manifestPath(id))) }
            }
            let (table, conflicts) = RouteTable.build(manifests)
            state.routes = table
            for id in state.records.keys where state.records[id]?.manifest != nil {
                if let conflict = conflicts[id] {
                    state.records[id]?.manifestError = conflict
                } else if state.records[id]?.manifestError != nil {
                    state.records[id]?.manifestError = nil
                }
            }
            return conflicts
        }
        for (id, error) in conflicts.sorted(by: { $0.key < $1.key }) { report(.routeError(endpoint: id, error: error)) }
    }

    /// The state the user sees: `error` while the endpoint cannot be routed, otherwise the
    /// registry's.
    public func state(of id: String) -> EndpointState {
        if state.withLock({ $0.records[id]?.manifestError }) != nil { return .error }
        return registry.state(of: id)
    }

    // MARK: - Answering

    /// What a request to a routed endpoint needs from the dev server's state, read in the same
    /// lock as the route.
    private struct Endpoint {
        var store: StateStore
        var liveReload: Bool
        var firstBuild: AsyncGate?
    }

    public func reply(to incoming: IncomingRequest) -> Reply {
        let path = incoming.request.path
        if path.hasPrefix("/_edge/") || path == "/_edge" {
            return answerInternal(incoming)
        }
        let (match, routed) = state.withLock { state -> (RouteTable.Match, Endpoint?) in
            let match = state.routes.match(method: incoming.request.method, path: path)
            guard case .found(let id, _) = match, let record = state.records[id] else { return (match, nil) }
            return (
                match,
                Endpoint(
                    store: record.store, liveReload: liveReload && record.manifest?.liveReload != false,
                    firstBuild: record.firstBuild)
            )
        }
        switch match {
        case .notFound:
            return .now(ErrorPage.response(.notFound("no route for \(path)"), for: incoming), tag: nil)
        case .methodNotAllowed(let allowed):
            var response = ErrorPage.response(
                .methodNotAllowed("\(incoming.wireMethod) is not allowed for \(path)"), for: incoming)
            response.headers.set("Allow", allowed.joined(separator: ", "))
            return .now(response, tag: nil)
        case .found(let id, let parameters):
            var request = incoming.request
            request.pathParameters = parameters
            // Removed between routing and now: its state is gone with it.
            let endpoint = routed ?? Endpoint(store: StateStore(), liveReload: liveReload)
            if let requestGuard = registry.acquire(id) {
                return run(requestGuard, request, endpoint, incoming)
            }
            return waitForFirstBuild(id, request, endpoint, incoming)
        }
    }

    /// Calls the handler under the server's crash barrier and timeout. Whichever way the request
    /// ends, its guard is released exactly once, so draining and `stats()` stay truthful.
    private func run(
        _ requestGuard: RequestGuard, _ request: Request, _ endpoint: Endpoint, _ incoming: IncomingRequest
    )
        -> Reply
    {
        let handler = requestGuard.handler
        return .later(
            Reply.Deferred(
                tag: handler.tag, timeout: handlerTimeout,
                work: {
                    defer { requestGuard.release() }
                    return await self.call(handler, request, endpoint)
                },
                failure: { failure in
                    requestGuard.release()
                    return self.failed(handler, failure, incoming)
                }))
    }

    /// The handler's answer, with the live-reload script when it is an HTML page.
    private func call(_ handler: LoadedHandler, _ request: Request, _ endpoint: Endpoint) async -> Response {
        let context = Context(
            endpointID: handler.endpointID, version: handler.version, requestID: request.requestID,
            logSink: logSink, state: endpoint.store)
        let response = await handler.call(request, context: context)
        return withLiveReload(response, handler.endpointID, version: handler.version, endpoint)
    }

    /// No version is serving: wait for a first build still running, else explain why.
    private func waitForFirstBuild(
        _ id: String, _ request: Request, _ endpoint: Endpoint, _ incoming: IncomingRequest
    ) -> Reply {
        let acquired = Mutex<RequestGuard?>(nil)
        return .later(
            Reply.Deferred(
                tag: id, timeout: firstBuildWait + handlerTimeout,
                work: {
                    if let gate = endpoint.firstBuild, !gate.isOpen, !(await gate.wait(timeout: self.firstBuildWait)) {
                        return ErrorPage.response(
                            .serviceUnavailable("endpoint '\(id)' is still building; try again shortly"), for: incoming)
                    }
                    guard let requestGuard = self.registry.acquire(id) else {
                        return self.notServing(id, endpoint, incoming)
                    }
                    acquired.withLock { $0 = requestGuard }
                    defer { requestGuard.release() }
                    return await self.call(requestGuard.handler, request, endpoint)
                },
                failure: { failure in
                    guard let requestGuard = acquired.withLock({ $0 }) else {
                        return ErrorPage.response(
                            .serviceUnavailable("endpoint '\(id)' did not answer in time"), for: incoming)
                    }
                    requestGuard.release()
                    return self.failed(requestGuard.handler, failure, incoming)
                }))
    }

    /// The answer for a handler that trapped (500) or overran its timeout (504); records it for
    /// `/_edge/status` and the terminal.
    private func failed(_ handler: LoadedHandler, _ failure: HandlerFailure, _ incoming: IncomingRequest) -> Response {
        let id = handler.endpointID
        let version = handler.version
        switch failure {
        case .crashed(let crash):
            let summary = CrashSummary(version: version, message: crash.summary, time: crash.time)
            state.withLock { state in
                state.records[id]?.crashes += 1
                state.records[id]?.lastCrash = summary
            }
            let report = self.report
            let locator = self.locator
            let project = self.project
            Task.detached {
                var location: String?
                var crash = crash
                if crash.message == nil {
                    let found = await locator.locate(crash)
                    location = found.place.map { project.displayPath($0) }
                    if let reason = found.reason { crash.message = "\(crash.signalName): \(reason)" }
                }
                let (place, message) = (location, crash.summary)
                self.state.withLock { state in
                    if state.records[id]?.lastCrash?.time == summary.time {
                        state.records[id]?.lastCrash?.location = place
                        state.records[id]?.lastCrash?.message = message
                    }
                }
                report(.crashed(endpoint: id, version: version, crash: crash, location: location))
            }
            return ErrorPage.crash(endpoint: id, version: version, message: crash.summary, for: incoming)
        case .timedOut(let after):
            report(.timedOut(endpoint: id, version: version, after: after))
            return ErrorPage.timeout(endpoint: id, version: version, after: Self.seconds(after), for: incoming)
        }
    }

    public static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }

    private func notServing(_ id: String, _ endpoint: Endpoint, _ incoming: IncomingRequest) -> Response {
        let diagnostics = state.withLock { $0.records[id]?.lastBuild?.diagnostics } ?? []
        let errors = diagnostics.filter { $0.severity == .error }
        guard !errors.isEmpty else {
            return ErrorPage.response(.serviceUnavailable("endpoint '\(id)' has no loaded version"), for: incoming)
        }
        return withLiveReload(
            ErrorPage.compileErrors(endpoint: id, diagnostics: errors, project: project, for: incoming), id, version: 0,
            endpoint)
    }

    /// Adds the live-reload script to an HTML response, unless switched off for the server or
    /// (`"liveReload": false`) for the endpoint.
    private func withLiveReload(_ response: Response, _ id: String, version: Int, _ endpoint: Endpoint) -> Response {
        endpoint.liveReload ? LiveReload.inject(into: response, endpoint: id, version: version) : response
    }

    // MARK: - /_edge/

    private func answerInternal(_ incoming: IncomingRequest) -> Reply {
        guard incoming.isLoopback else {
            return .now(
                ErrorPage.response(.forbidden("/_edge/ is only answered to loopback clients"), for: incoming),
                tag: "_edge")
        }
        let path = incoming.request.path
        guard incoming.request.method == "GET" else {
            return .now(
                ErrorPage.response(.methodNotAllowed("use GET"), for: incoming).withHeader("Allow", "GET, HEAD"),
                tag: "_edge")
        }
        switch path {
        case "/_edge/status":
            return .now(Self.page(status().serialized, type: "application/json"), tag: "_edge")
        case "/_edge/", "/_edge":
            return .now(Self.page(Dashboard.page(status: status(), project: project), type: "text/html"), tag: "_edge")
        case "/_edge/fragment":
            return .now(
                Self.page(Dashboard.fragment(status: status(), project: project), type: "text/html"), tag: "_edge")
        case "/_edge/events":
            return eventStream()
        default:
            return .now(
                ErrorPage.response(.notFound("no such edge-dev page: \(path)"), for: incoming), tag: "_edge")
        }
    }

    private static func page(_ text: String, type: String) -> Response {
        Response(
            status: 200, headers: ["Content-Type": "\(type); charset=utf-8", "Cache-Control": "no-store"],
            body: Array(text.utf8))
    }

    /// `/_edge/events`: the current state first (a `snapshot` event holding the status document),
    /// then every event as it happens.
    private func eventStream() -> Reply {
        let head = Response(
            status: 200,
            headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"],
            body: Array("retry: 1000\n\n".utf8))
        return .stream(head, tag: "_edge") { writer in
            let id = self.events.subscribe { frame in writer.write(frame) }
            writer.onClose { self.events.unsubscribe(id) }
            writer.write(
                EventHub.frame(
                    .object([
                        ("type", "snapshot"), ("time", .string(ISOTime.format(time(nil)))), ("status", self.status()),
                    ])))
        }
    }

    /// The `/_edge/status` document.
    public func status() -> JSONValue {
        let snapshot = state.withLock { state in
            state.records.map {
                (
                    $0.key, $0.value.manifest, $0.value.manifestError, $0.value.lastBuild, $0.value.crashes,
                    $0.value.lastCrash
                )
            }
        }.sorted { $0.0 < $1.0 }
        var endpoints: [JSONValue] = []
        for (id, manifest, manifestError, lastBuild, crashes, lastCrash) in snapshot {
            let handler = registry.handler(for: id)
            let draining = registry.drainingVersions(of: id)
            var members: [(String, JSONValue)] = [
                ("id", .string(id)),
                ("state", .string((manifestError != nil ? EndpointState.error : registry.state(of: id)).rawValue)),
                ("version", handler.map { JSONValue($0.version) } ?? .null),
                ("methods", .array((manifest?.methodList ?? []).map { .string($0) })),
                ("path", JSONValue(manifest?.patterns.first?.description)),
                ("paths", .array((manifest?.patterns ?? []).map { .string($0.description) })),
                ("activeRequests", JSONValue(handler?.activeRequests ?? 0)),
                ("drainingVersions", .array(draining.map { JSONValue($0.version) })),
                ("drainingRequests", JSONValue(draining.reduce(0) { $0 + $1.activeRequests })),
            ]
            members.append(
                (
                    "lastBuild",
                    lastBuild.map { build in
                        .object([
                            ("ok", .bool(build.ok)),
                            ("durationMs", JSONValue((build.milliseconds * 10).rounded() / 10)),
                            ("time", .string(ISOTime.format(build.time))),
                            ("reused", .bool(build.reused)),
                            ("diagnostics", .array(build.diagnostics.map(Self.json))),
                        ])
                    } ?? .null
                ))
            members.append(("routeError", manifestError.map { Self.json($0.diagnostic) } ?? .null))
            members.append(("crashes", JSONValue(crashes)))
            members.append(
                (
                    "lastCrash",
                    lastCrash.map { crash in
                        .object([
                            ("message", .string(crash.message)),
                            ("time", .string(ISOTime.format(crash.time))),
                            ("version", JSONValue(crash.version)),
                            ("location", JSONValue(crash.location)),
                        ])
                    } ?? .null
                ))
            endpoints.append(.object(members))
        }
        let stats = registry.stats()
        return .object([
            ("endpoints", .array(endpoints)),
            (
                "stats",
                .object([
                    ("loadedCount", JSONValue(stats.loadedCount)),
                    ("drainingCount", JSONValue(stats.drainingCount)),
                    ("activeRequests", JSONValue(stats.activeRequests)),
                    ("drainingRequests", JSONValue(stats.drainingRequests)),
                ])
            ),
            ("gateway", .object([("pid", JSONValue(Int(getpid()))), ("restarts", JSONValue(restarts))])),
        ])
    }

    static func json(_ diagnostic: Diagnostic) -> JSONValue {
        let notes: [JSONValue] = diagnostic.notes.map { note in json(note) }
        let line: JSONValue = diagnostic.line.map { JSONValue($0) } ?? .null
        let column: JSONValue = diagnostic.column.map { JSONValue($0) } ?? .null
        return .object([
            ("file", JSONValue(diagnostic.file)),
            ("line", line),
            ("column", column),
            ("severity", .string(diagnostic.severity.rawValue)),
            ("message", .string(diagnostic.message)),
            ("notes", .array(notes)),
        ])
    }
}
