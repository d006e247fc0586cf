import DataServices
import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Gateway
import Glibc
import HandlerBuild
import HandlerRuntime
import Synchronization

/// `serve --bundle`: the bundle's endpoints served from their libraries, no compiler and no
/// watcher; `reload()` (SIGHUP) swaps in what changed in the bundle folder, gracefully.
public final class ProductionServer: HTTPResponder, Sendable {
    /// What one endpoint runs with: its version, the hash it was built from, its configuration.
    struct Served: Sendable {
        var version: Int
        var hash: String
        var library: String
        var env: Environment
        var store: StateStore
    }

    struct State: Sendable {
        var manifest: BundleManifest?
        var folder = ""
        var routes = RouteTable()
        var endpoints: [String: Served] = [:]
        /// libEdgeSDK.so of the first bundle: one copy is loaded for the life of the process.
        var sdkHash: UInt64?
        /// Every endpoint library opened, served or not (it stays mapped).
        var openedLibraries: Set<String> = []
    }

    /// The folder named on the command line: a link switched to deploy is read again on reload.
    public let bundle: String
    public let registry: HandlerRegistry
    public let services: ProjectServices
    public let metrics: Metrics
    public let handlerTimeout: Duration
    public let drainTimeout: Duration
    /// Requests recorded when asked for (`--journal`): the ops listener's `/requests`.
    public let journal: RequestJournal?
    let state = Mutex(State())
    let reloading = Mutex(())
    let logSink: LogSink

    public init(
        bundle: String, dataDirectory: String, handlerTimeout: Duration, drainTimeout: Duration, metrics: Metrics,
        journal: RequestJournal? = nil
    ) {
        self.journal = journal
        self.bundle = FilePath.absolute(bundle)
        self.handlerTimeout = handlerTimeout
        self.drainTimeout = drainTimeout
        self.metrics = metrics
        registry = HandlerRegistry(buildRoot: FilePath.join(dataDirectory, ".versions"))
        services = ProjectServices(dataDirectory: dataDirectory, handlersDirectory: self.bundle) { $0 }
        logSink = LogSink { record in
            HostLog.line(
                "[\(record.endpointID) v\(record.version) \(record.requestID)] \(record.level.rawValue): \(record.message)"
            )
        }
    }

    /// True once every endpoint of the bundle is loaded.
    public var isReady: Bool { state.withLock { $0.manifest != nil } }

    // MARK: - Answering

    public func reply(to incoming: consuming IncomingRequest) -> Reply {
        let request = incoming.request
        let (match, served) = state.withLock { state -> (RouteTable.Match, Served?) in
            let match = state.routes.match(method: request.method, path: request.path)
            guard case .found(let id, _) = match else { return (match, nil) }
            return (match, state.endpoints[id])
        }
        switch match {
        case .notFound:
            return answer(.error(.notFound("no route for \(request.path)")), incoming)
        case .methodNotAllowed(let allowed):
            var response = Response.error(
                .methodNotAllowed("\(incoming.wireMethod) is not allowed for \(request.path)"))
            response.headers.set("Allow", allowed.joined(separator: ", "))
            return answer(response, incoming)
        case .found(let id, let parameters):
            guard let served, let requestGuard = registry.acquireRequest(id) else {
                return answer(.error(.serviceUnavailable("endpoint '\(id)' is not loaded")), incoming)
            }
            var routed = request
            routed.pathParameters = parameters
            return run(requestGuard, routed, served, incoming)
        }
    }

    /// An answer of the server's own (no handler ran): counted, without a latency.
    private func answer(_ response: Response, _ incoming: IncomingRequest) -> Reply {
        metrics.finished(
            endpoint: "", method: Metrics.methodLabel(incoming.wireMethod), status: response.status, seconds: 0,
            counted: false)
        return .now(response, tag: nil)
    }

    private func run(
        _ requestGuard: RequestGuard, _ request: Request, _ served: Served, _ incoming: IncomingRequest
    ) -> Reply {
        let handler = requestGuard.handler
        let id = handler.endpointID
        let method = Metrics.methodLabel(incoming.wireMethod)
        metrics.started()
        let metrics = metrics
        return .later(
            Reply.Deferred(
                tag: "\(id) v\(handler.version)", timeout: handlerTimeout,
                work: {
                    let context = Context(
                        endpointID: id, version: handler.version, requestID: request.requestID, logSink: self.logSink,
                        state: served.store, env: served.env, services: self.services)
                    return await self.registry.execute(requestGuard, context: context, request: request)
                },
                failure: { failure in
                    requestGuard.release()
                    switch failure {
                    case .crashed:
                        // Its thread is gone: a transaction it had open would hold the write lock.
                        self.services.reclaim(owner: request.requestID)
                        metrics.crashed(id)
                        return .error(.internal("internal error (request \(request.requestID))"))
                    case .timedOut:
                        metrics.timedOut(id)
                        return Response(status: 504, body: Array("gateway timeout\n".utf8))
                    }
                },
                // Once, with the answer the client got (a handler past its timeout answers late).
                finished: { response, failure, started in
                    metrics.finished(
                        endpoint: id, method: method, status: response.status,
                        seconds: Double(MonotonicClock.nanoseconds() &- started) / 1e9)
                    self.record(incoming, response, handler, started, failure: failure.map { "\($0)" })
                }))
    }
}

extension ProductionServer {
    fileprivate func record(
        _ incoming: IncomingRequest, _ response: Response, _ handler: LoadedHandler, _ started: UInt64,
        failure: String?
    ) {
        guard let journal else { return }
        _ = journal.record(
            JournalEntry(
                incoming, response, endpoint: handler.endpointID, version: handler.version, started: started,
                failure: failure))
    }
}
