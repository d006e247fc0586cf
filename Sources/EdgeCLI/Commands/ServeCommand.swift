import Dispatch
import EdgeHTTP
import EdgeSystem
import Gateway
import Glibc
import HandlerBuild
import Synchronization
import Watcher

/// `edge-dev serve`: builds every endpoint, serves them, and (with the watcher) hot-swaps on save.
public enum ServeCommand {
    public static let host = Option<String>(
        "--host", "HOST", help: "Address to listen on; 0.0.0.0 exposes the server to the network.",
        default: "127.0.0.1")
    public static let port = Option<Int>(
        "--port", "PORT", help: "Port to listen on; 0 picks a free one.", default: 8080, range: 0...65535)
    public static let drainTimeout = Option<Duration>(
        "--drain-timeout", help: "How long an old version may finish its requests after a swap.",
        defaultSeconds: 30)
    public static let handlerTimeout = Option<Duration>(
        "--handler-timeout", help: "How long a handler may take before its request gets a 504.", defaultSeconds: 30)
    public static let maxBody = Option<Int>(
        "--max-body", "BYTES", help: "Largest request body accepted (413 beyond).", default: 16_777_216,
        range: 0...Int(Int32.max))
    public static let maxBufferedBodies = Option<Int>(
        "--max-buffered-bodies", "BYTES",
        help: "Memory for all request bodies being received at once; beyond it a large upload gets 503.",
        default: 256 * 1024 * 1024, range: 0...Int(Int32.max) * 4)
    public static let noWatch = Flag("--no-watch", help: "Serve without watching for changes (a production-like run).")
    public static let noAccessLog = Flag("--no-access-log", help: "Do not print a line per request.")
    public static let noLiveReload = Flag(
        "--no-live-reload",
        help: "Do not add the live-reload script to HTML responses (an endpoint may opt out alone).")
    public static let noCrashBarrier = Flag(
        "--no-crash-barrier",
        help: "Call handlers without the crash barrier: a trapping handler ends the process (to measure the barrier).")
    public static let noRestart = Flag(
        "--no-restart",
        help: "Serve from this process, without a supervisor that restarts it if it dies (for debuggers).")

    public static let noJournal = Flag(
        "--no-journal", help: "Do not record requests (/_edge/requests, replay).")
    public static let journalEntries = Option<Int>(
        "--journal-entries", "N", help: "How many requests the journal keeps (also at most 64 MiB).", default: 1000,
        range: 1...1_000_000)
    public static let keptVersions = Option<Int>(
        "--kept-versions", "N", help: "How many versions of each endpoint stay callable for replay.", default: 10,
        range: 1...1000)

    public static let loops = Option<Int>(
        "--loops", "N", help: "Event-loop threads serving connections; 0 chooses from the cores.", default: 0,
        range: 0...256)

    public static let bundle = Option<String?>(
        "--bundle", "DIR",
        help: "Serve a bundle built by `edge-dev bundle` (production: no compiler, no watcher, no dashboard).")
    public static let opsAddress = Option<String>(
        "--ops-address", "HOST:PORT",
        help: "With --bundle: where /health/live, /health/ready, /metrics and /status answer.",
        default: "127.0.0.1:9090")
    public static let reusePort = Flag(
        "--reuse-port", help: "Listen with SO_REUSEPORT, so several instances can share the port.")
    public static let data = Option<String?>(
        "--data", "DIR", help: "With --bundle: the folder of the databases, cache and storage.",
        shown: "edge-data beside the bundle")
    public static let journalOn = Flag(
        "--journal", help: "With --bundle: record requests, listed at the ops listener's /requests.")
    public static let logFormat = Option<AccessLogFormat>(
        "--log-format", "FORMAT", help: "The access log: text, or json (one object per line).", default: .text,
        shown: "text", expected: "text or json", parse: { AccessLogFormat(rawValue: $0) })

    public static let spec = CommandSpec(
        name: "serve",
        abstract: "Build every endpoint and serve them over HTTP; save a file to redeploy it.",
        options: [
            CommonOptions.handlers, host, port, CommonOptions.release, CommonOptions.buildTimeout, drainTimeout,
            handlerTimeout, maxBody, maxBufferedBodies, noWatch,
            noAccessLog, noLiveReload, noCrashBarrier, noRestart, noJournal, journalEntries, keptVersions, loops,
            bundle, opsAddress, reusePort, data, logFormat, journalOn,
        ])

    /// `.edge/gateway-<supervisor pid>.inflight`: the gateway's requests in flight, for its
    /// supervisor to read.
    public static func inFlightTablePath(_ options: Options) -> String {
        let project = Project(handlersDirectory: options.handlers)
        try? FilePath.createDirectories(project.edgeDirectory)
        // One per supervisor: two `serve`s of one project must not read each other's.
        return FilePath.join(project.edgeDirectory, "gateway-\(getpid()).inflight")
    }

    /// What the options say, checked.
    public struct Options: Sendable {
        /// The request journal's limits (`--journal-entries`, 64 MiB).
        var journalLimits: RequestJournal.Limits {
            var limits = RequestJournal.Limits()
            limits.maxEntries = journalEntries
            return limits
        }

        /// The HTTP server they describe (dev and production alike).
        var serverConfiguration: HTTPServer.Configuration {
            var configuration = HTTPServer.Configuration()
            configuration.host = host
            configuration.port = port
            configuration.limits.maxBodyBytes = maxBody
            configuration.limits.maxBufferedBodyBytes = maxBufferedBodies
            configuration.accessLog = accessLog
            configuration.accessLogFormat = logFormat
            configuration.crashBarrier = crashBarrier
            configuration.reusePort = reusePort
            if loops > 0 { configuration.loops = loops }
            return configuration
        }

        public var handlers: String
        public var host: String
        public var port: Int
        public var drainTimeout: Duration
        public var handlerTimeout: Duration
        public var maxBody: Int
        public var maxBufferedBodies: Int
        public var release: Bool
        public var buildTimeout: Duration
        public var watch: Bool
        public var accessLog: Bool
        public var crashBarrier: Bool
        public var liveReload: Bool
        /// Serve from this process, with no supervisor.
        public var restart: Bool
        public var journal: Bool
        public var journalEntries: Int
        public var keptVersions: Int
        /// 0: chosen from the cores.
        public var loops: Int
        /// Production: the bundle folder to serve.
        public var bundle: String?
        public var opsAddress: String
        public var reusePort: Bool
        public var data: String?
        public var logFormat: AccessLogFormat
        /// Production: record requests (dev records unless `--no-journal`).
        public var productionJournal: Bool

        public init(_ arguments: ParsedArguments) {
            handlers = arguments[CommonOptions.handlers]
            host = arguments[ServeCommand.host]
            port = arguments[ServeCommand.port]
            drainTimeout = arguments[ServeCommand.drainTimeout]
            handlerTimeout = arguments[ServeCommand.handlerTimeout]
            maxBody = arguments[ServeCommand.maxBody]
            maxBufferedBodies = arguments[ServeCommand.maxBufferedBodies]
            release = arguments[CommonOptions.release]
            buildTimeout = arguments[CommonOptions.buildTimeout]
            watch = !arguments[noWatch]
            accessLog = !arguments[noAccessLog]
            crashBarrier = !arguments[noCrashBarrier]
            liveReload = !arguments[noLiveReload]
            restart = !arguments[noRestart]
            journal = !arguments[noJournal]
            journalEntries = arguments[ServeCommand.journalEntries]
            keptVersions = arguments[ServeCommand.keptVersions]
            loops = arguments[ServeCommand.loops]
            bundle = arguments[ServeCommand.bundle]
            opsAddress = arguments[ServeCommand.opsAddress]
            reusePort = arguments[ServeCommand.reusePort]
            data = arguments[ServeCommand.data]
            logFormat = arguments[ServeCommand.logFormat]
            productionJournal = arguments[ServeCommand.journalOn]
        }
    }

    /// The gateway: builds, serves and watches until SIGINT or SIGTERM.
    ///
    /// `listener` is the socket the supervisor passed down (nil: bind one here); `restarts` how
    /// often the supervisor restarted the gateway, for `/_edge/status`.
    public static func serve(
        _ options: Options, listener: Socket?, restarts: Int, inFlightTable inFlightPath: String? = nil
    ) async -> Int32 {
        // Every way out of here is edge-dev's own decision; a handler's `exit()` skips this.
        let inFlightTable = inFlightPath.flatMap { try? SharedCounters(creating: $0) }
        defer { inFlightTable?.markDeliberateExit() }
        // A log reader that goes away (`serve | tee`) must not end the server: writes get EPIPE.
        signal(SIGPIPE, SIG_IGN)
        // Before any connection can use up the open-files limit (see DispatchTimers).
        await DispatchTimers.prepare()
        let style = TerminalStyle(fd: 1)
        guard let project = Project.existing(options.handlers) else { return 1 }
        let compiler: HandlerCompiler
        do {
            compiler = try HandlerCompiler(
                project: project, mode: options.release ? .release : .debug, buildTimeout: options.buildTimeout)
        } catch {
            HostLog.err("error: \(error)\n")
            return 1
        }
        let printer = EventPrinter(style: style)
        let devServer = DevServer(
            project: project, compiler: compiler, drainTimeout: options.drainTimeout,
            handlerTimeout: options.handlerTimeout, restarts: restarts, liveReload: options.liveReload,
            listenHost: options.host, inFlightTable: inFlightTable,
            journal: options.journal ? RequestJournal(limits: options.journalLimits) : nil,
            keptVersions: options.keptVersions,
            report: { printer.print($0) })
        devServer.discover()
        if let warning = project.skippedFoldersWarning() { HostLog.err(style.yellow("warning") + ": \(warning)\n") }
        EditorSetup.updateBuildServerFile(project)

        let configuration = options.serverConfiguration
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: configuration, responder: devServer, listener: listener)
            try server.start()
        } catch {
            HostLog.err("error: cannot listen on \(configuration.host):\(options.port): \(error)\n")
            return 1
        }
        let host = Socket.urlHost(configuration.host)
        HostLog.line("listening on http://\(host):\(server.port)")
        devServer.listening(on: server.port)
        // At once, not after the first builds: other commands (`routes`, `db reset`, `clean`)
        // must know from the first request on that this project is being served.
        let record = ServerRecord(
            url: "http://\(host):\(server.port)", host: options.host, port: server.port, pid: getpid())
        record.write(project)

        var watcher: ProjectWatcher?
        if options.watch {
            let applier = ChangeApplier(devServer: devServer)
            do {
                watcher = try ProjectWatcher(
                    handlersDirectory: project.handlersDirectory,
                    onChanges: { applier.apply($0) },
                    onWarning: { HostLog.err(style.yellow("warning") + ": \($0)\n") })
                watcher?.start()
            } catch {
                HostLog.err(
                    style.yellow("warning") + ": not watching for changes: \(error); the server keeps serving\n")
            }
        }

        let start = MonotonicClock.nanoseconds()
        printer.startupBegins(endpoints: devServer.endpointIDs.count, modules: project.libraryNames().count)
        await devServer.buildAll()
        printer.progressFinished()
        let loaded = devServer.endpointIDs.filter { devServer.state(of: $0) == .loaded }.count
        HostLog.out(
            StartupSummary.format(status: devServer.status(), url: "http://\(host):\(server.port)", style: style))
        HostLog.line(
            "ready: \(loaded) of \(devServer.endpointIDs.count) endpoints serving (\(Int(MonotonicClock.milliseconds(since: start))) ms)"
        )
        printer.startupFinished()

        let signal = await TerminationSignal.next()
        HostLog.line("\(signal == SIGINT ? "interrupt" : "terminate"): finishing requests in flight, then exiting")
        TerminationSignal.onSecondSignal { _exit(130) }
        watcher?.stop()
        ServerRecord.removeIfOurs(project)
        Subprocess.killAll()
        let finished = await server.stop(grace: .seconds(10))
        if !finished { HostLog.err("edge-dev: requests still running after 10 s; exiting anyway\n") }
        return 0
    }
}
