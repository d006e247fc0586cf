import DataServices
import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Glibc
import HandlerRuntime
import Synchronization

/// Answering requests: routing, calling the handler through the registry under the server's
/// crash barrier and deadline, and the answers when it cannot (first build, compile errors,
/// traps, timeouts).
extension DevServer {
    // MARK: - Answering

    /// What a request to a routed endpoint needs from the dev server's state, read in the same
    /// lock as the route.
    struct Endpoint {
        var store: StateStore
        var liveReload: Bool
        var firstBuild: AsyncGate?
        var env = Environment()
        /// Services other than the project's (an example run's scratch namespace).
        var services: ProjectServices?
        /// A request of an example run: not journaled, tagged so in the access log.
        var isExample = false
    }

    public func reply(to incoming: consuming IncomingRequest) -> Reply {
        let path = incoming.request.path
        if path.hasPrefix("/_edge/") || path == "/_edge" {
            return answerInternal(incoming)
        }
        if incoming.isLoopback, let run = exampleRun(for: incoming) {
            return answerExample(run, incoming)
        }
        let (match, routed) = state.withLock { state -> (RouteTable.Match, Endpoint?) in
            let match = state.routes.match(method: incoming.request.method, path: path)
            guard case .found(let id, _) = match, var endpoint = state.routed[id] else { return (match, nil) }
            endpoint.liveReload = endpoint.liveReload && liveReload
            return (match, endpoint)
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
            incoming.request.pathParameters = parameters
            // Removed between routing and now: its state is gone with it.
            // Removed between routing and now: its own store still, so an answered write is kept.
            let endpoint =
                routed ?? Endpoint(store: services.openStateStore(endpoint: id) ?? StateStore(), liveReload: liveReload)
            if let requestGuard = registry.acquireRequest(id) {
                return run(requestGuard, endpoint, incoming)
            }
            return waitForFirstBuild(id, endpoint, incoming)
        }
    }

    /// Calls the handler under the server's crash barrier and timeout. Whichever way the request
    /// ends, its guard is released (the registry on an answer, `failure` on a trap or a timeout;
    /// a second release counts nothing), so draining and `stats()` stay truthful.
    ///
    /// `incoming.request` carries the path parameters. The three closures capture one
    /// `HandlerCall`: one object per request instead of a copy of the request in each.
    func run(_ requestGuard: RequestGuard, _ endpoint: Endpoint, _ incoming: consuming IncomingRequest) -> Reply {
        let call = HandlerCall(server: self, requestGuard: requestGuard, endpoint: endpoint, incoming: incoming)
        let handler = requestGuard.handler
        var deferred = Reply.Deferred(
            tag: endpoint.isExample ? "example \(handler.tag)" : handler.tag, timeout: handlerTimeout,
            work: { await call.run() },
            failure: { failure in call.failed(failure) })
        // Journaled once, with the answer the client got (example runs are not journaled).
        if !endpoint.isExample {
            deferred.finished = { response, failure, started in call.journal(response, failure, started: started) }
        }
        return .later(deferred)
    }

    /// The handler's answer through the registry (which releases the guard), with the
    /// live-reload script when it is an HTML page.
    nonisolated(nonsending) func call(_ requestGuard: RequestGuard, _ request: Request, _ endpoint: Endpoint) async
        -> Response
    {
        let handler = requestGuard.handler
        let context = Context(
            endpointID: handler.endpointID, version: handler.version, requestID: request.requestID,
            logSink: logSink, state: endpoint.store, env: endpoint.env, services: endpoint.services ?? services)
        let response = await registry.execute(requestGuard, context: context, request: request)
        return withLiveReload(response, handler.endpointID, version: handler.version, endpoint)
    }

    /// No version is serving: wait for a first build still running, else explain why.
    func waitForFirstBuild(_ id: String, _ endpoint: Endpoint, _ incoming: IncomingRequest) -> Reply {
        let acquired = Mutex<RequestGuard?>(nil)
        return .later(
            Reply.Deferred(
                tag: id, timeout: firstBuildWait + handlerTimeout,
                work: {
                    if let gate = endpoint.firstBuild, !gate.isOpen, !(await gate.wait(timeout: self.firstBuildWait)) {
                        return ErrorPage.response(
                            .serviceUnavailable("endpoint '\(id)' is still building; try again shortly"), for: incoming)
                    }
                    guard let requestGuard = self.registry.acquireRequest(id) else {
                        return self.notServing(id, endpoint, incoming)
                    }
                    acquired.withLock { $0 = requestGuard }
                    return await self.call(requestGuard, incoming.request, endpoint)
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

    static func describe(_ failure: HandlerFailure) -> String {
        switch failure {
        case .crashed(let crash): "crashed: \(crash.summary)"
        case .timedOut(let after): "timed out after \(seconds(after))"
        }
    }

    /// The answer for a handler that trapped (500) or overran its timeout (504); records it for
    /// `/_edge/status` and the terminal.
    ///
    /// `reclaiming` are the services the request ran with (the project's unless an example run's).
    func failed(
        _ handler: LoadedHandler, _ failure: HandlerFailure, _ incoming: IncomingRequest,
        reclaiming: ProjectServices? = nil
    ) -> Response {
        let id = handler.endpointID
        let version = handler.version
        switch failure {
        case .crashed(let trapped):
            // Its thread is gone: a transaction it had open would hold the write lock for ever.
            (reclaiming ?? services).reclaim(owner: incoming.request.requestID)
            var mapped = trapped
            if let message = trapped.message {
                mapped.message = CrashMessage.userFacing(message, endpoint: id, version: version, project: self.project)
            }
            let crash = mapped
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

    func notServing(_ id: String, _ endpoint: Endpoint, _ incoming: IncomingRequest) -> Response {
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
    func withLiveReload(_ response: Response, _ id: String, version: Int, _ endpoint: Endpoint) -> Response {
        endpoint.liveReload ? LiveReload.inject(into: response, endpoint: id, version: version) : response
    }
}

/// A request to a handler endpoint on its way through the crash barrier: what its work, its
/// failure answer and its journal record need, held once.
final class HandlerCall: Sendable {
    let server: DevServer
    let requestGuard: RequestGuard
    let endpoint: DevServer.Endpoint
    let incoming: IncomingRequest

    init(server: DevServer, requestGuard: RequestGuard, endpoint: DevServer.Endpoint, incoming: IncomingRequest) {
        self.server = server
        self.requestGuard = requestGuard
        self.endpoint = endpoint
        self.incoming = incoming
    }

    nonisolated(nonsending) func run() async -> Response {
        await server.call(requestGuard, incoming.request, endpoint)
    }

    func failed(_ failure: HandlerFailure) -> Response {
        requestGuard.release()
        return server.failed(requestGuard.handler, failure, incoming, reclaiming: endpoint.services)
    }

    func journal(_ response: Response, _ failure: HandlerFailure?, started: UInt64) {
        let handler = requestGuard.handler
        server.journal(
            incoming, response, endpoint: handler.endpointID, version: handler.version, started: started,
            failure: failure.map(DevServer.describe))
    }
}
