import DataServices
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
    /// The address the server listens on (`--host`): a `Host` naming it may read `/_edge/`.
    public let listenHost: String
    /// Every event, for `/_edge/events`.
    public let events = EventHub()
    /// `ctx.database`, `ctx.cache`, `ctx.storage` and durable `ctx.state`, under `.edge/data`.
    public let services: ProjectServices
    /// The last requests handler endpoints answered (`/_edge/requests`); nil with `--no-journal`.
    public let journal: RequestJournal?
    /// Example runs in progress, by the token their requests carry.
    let exampleRuns = Mutex<[String: ExampleRun]>([:])
    private let port = Atomic<Int>(0)
    /// The port this server listens on (0 until `listening(on:)`), for the examples' requests.
    public var listeningPort: Int { port.load(ordering: .acquiring) }
    /// Whether examples run after each successful swap.
    public let runsExamples: Bool

    /// Tells the server its own port, once it listens.
    public func listening(on port: Int) { self.port.store(port, ordering: .releasing) }
    let locator: CrashLocator

    struct BuildSummary: Sendable {
        var ok: Bool
        var milliseconds: Double
        var diagnostics: [Diagnostic]
        /// When it finished, seconds since the epoch.
        var time = Int(Glibc.time(nil))
        /// The library an earlier run built from the same sources, used again.
        var reused = false
    }

    struct CrashSummary: Sendable {
        var version: Int
        var message: String
        var time: Int
        var location: String?
    }

    struct Record: Sendable {
        var manifest: EndpointManifest?
        var manifestError: ManifestError?
        var lastBuild: BuildSummary?
        var crashes = 0
        var lastCrash: CrashSummary?
        let firstBuild = AsyncGate()
        /// `ctx.state`: the endpoint's data, kept across swaps and restarts (in `.edge/data`).
        let store: StateStore
        /// `ctx.env`: made again when the configuration files or the manifest change.
        var env = Environment()
        /// The last run of the endpoint's examples.
        var examples: ExampleSummary?
    }

    struct LibraryRecord: Sendable {
        /// The build that dependents use now.
        var serving: LibraryArtifact?
        var lastBuild: BuildSummary?
        var failed = false
    }

    struct State: Sendable {
        var records: [String: Record] = [:]
        /// Per endpoint, what a request routed to it needs (`liveReload` as its manifest says),
        /// made again whenever its record's manifest or environment changes. Kept beside
        /// `records` so that answering a request copies this, not the whole record: reading a
        /// dictionary's value copies all of it, a dozen retains and releases per request.
        var routed: [String: Endpoint] = [:]
        var routes = RouteTable()
        var configuration = ProjectConfiguration()
        /// Shared modules (`handlers/_lib/<Module>`) and who imports whom.
        var libraries: [String: LibraryRecord] = [:]
        var graph = LibraryGraph(libraryImports: [:], endpointImports: [:])
        /// The last configuration problem, while the previous configuration stays in force.
        var configurationError: DotEnv.Failure?
    }

    let state = Mutex(State())
    /// Per endpoint, the number of the newest rebuild; only it may swap.
    let generations = Mutex<[String: Int]>([:])
    let report: @Sendable (DevEvent) -> Void
    /// Where `ctx.log` goes: a line per record, as a `handlerLog` event.
    let logSink: LogSink

    public init(
        project: Project, compiler: HandlerCompiler, drainTimeout: Duration = HandlerRegistry.defaultDrainTimeout,
        firstBuildWait: Duration = .seconds(60), handlerTimeout: Duration = .seconds(30), restarts: Int = 0,
        liveReload: Bool = true, listenHost: String = "127.0.0.1", inFlightTable: SharedCounters? = nil,
        journal: RequestJournal? = RequestJournal(), keptVersions: Int = 10, runsExamples: Bool = true,
        dataDirectory: String? = nil,
        report: @escaping @Sendable (DevEvent) -> Void = { _ in }
    ) {
        self.project = project
        self.compiler = compiler
        self.journal = journal
        self.runsExamples = runsExamples
        self.services = ProjectServices(project: project, dataDirectory: dataDirectory)
        self.registry = HandlerRegistry(buildRoot: project.buildRoot, inFlightTable: inFlightTable)
        registry.keptVersions = keptVersions
        self.drainTimeout = drainTimeout
        self.firstBuildWait = firstBuildWait
        self.handlerTimeout = handlerTimeout
        self.restarts = restarts
        self.liveReload = liveReload
        self.listenHost = listenHost
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

    /// The state the user sees: `error` while the endpoint cannot be routed, otherwise the
    /// registry's.
    public func state(of id: String) -> EndpointState {
        if state.withLock({ $0.records[id]?.manifestError }) != nil { return .error }
        return registry.state(of: id)
    }
}
