import Dispatch
import Gateway
import Synchronization
import Watcher

#if canImport(Glibc)
    import Glibc
#endif

/// `edge-dev serve`: builds every endpoint, serves them, and (with the watcher) hot-swaps on save.
enum ServeCommand {
    static let spec = CommandSpec(
        name: "serve",
        abstract: "Build every endpoint and serve them over HTTP; save a file to redeploy it.",
        options: [
            .init("--handlers", "DIR", help: "The handlers folder.", default: "handlers"),
            .init(
                "--host", "HOST", help: "Address to listen on; 0.0.0.0 exposes the server to the network.",
                default: "127.0.0.1"),
            .init("--port", "PORT", help: "Port to listen on; 0 picks a free one.", default: "8080"),
            .init("--release", help: "Build handlers with optimizations (-O)."),
            .init(
                "--drain-timeout", "SECONDS", help: "How long an old version may finish its requests after a swap.",
                default: "30"),
            .init(
                "--handler-timeout", "SECONDS", help: "How long a handler may take before its request gets a 504.",
                default: "30"),
            .init("--max-body", "BYTES", help: "Largest request body accepted (413 beyond).", default: "16777216"),
            .init("--no-watch", help: "Serve without watching for changes (a production-like run)."),
            .init("--no-access-log", help: "Do not print a line per request."),
            .init(
                "--no-live-reload",
                help: "Do not add the live-reload script to HTML responses (an endpoint may opt out alone)."),
            .init(
                "--no-crash-barrier",
                help:
                    "Call handlers without the crash barrier: a trapping handler ends the process (to measure the barrier)."
            ),
            .init(
                "--no-restart",
                help: "Serve from this process, without a supervisor that restarts it if it dies (for debuggers)."),
        ])

    /// What the options say, checked.
    struct Options {
        var project: Project
        var host: String
        var port: Int
        var drainTimeout: Duration
        var handlerTimeout: Duration
        var maxBody: Int
        var release: Bool
        var watch: Bool
        var accessLog: Bool
        var crashBarrier: Bool
        var liveReload: Bool
    }

    /// The options, or the exit status after saying what is wrong with them.
    static func options(_ arguments: ParsedArguments) -> Result<Options, ExitStatus> {
        guard let project = arguments.existingProject() else { return .failure(ExitStatus(1)) }
        do throws(UsageError) {
            let drainSeconds = try arguments.number("--drain-timeout", spec: spec) ?? 30
            let timeoutSeconds = try arguments.number("--handler-timeout", spec: spec) ?? 30
            let maxBody = try arguments.number("--max-body", spec: spec) ?? 16_777_216
            let portValue = try arguments.number("--port", spec: spec) ?? 8080
            guard portValue <= 65535, portValue.rounded() == portValue else {
                throw UsageError(
                    "Invalid value '\(arguments.value("--port")!)' for '--port': expected 0 to 65535", usage: spec.usage
                )
            }
            return .success(
                Options(
                    project: project, host: arguments.value("--host") ?? "127.0.0.1", port: Int(portValue),
                    drainTimeout: .milliseconds(Int(drainSeconds * 1000)),
                    handlerTimeout: .milliseconds(Int(timeoutSeconds * 1000)), maxBody: Int(maxBody),
                    release: arguments.flag("--release"), watch: !arguments.flag("--no-watch"),
                    accessLog: !arguments.flag("--no-access-log"), crashBarrier: !arguments.flag("--no-crash-barrier"),
                    liveReload: !arguments.flag("--no-live-reload")))
        } catch {
            HostLog.err("Error: \(error.message)\n\(error.usage)\n")
            return .failure(ExitStatus(2))
        }
    }

    struct ExitStatus: Error {
        let code: Int32
        init(_ code: Int32) { self.code = code }
    }

    /// `edge-dev serve` runs as two processes: this one binds the socket and supervises, the
    /// gateway (this same command, told so by the environment) builds and serves on that socket.
    /// If the gateway dies anyway (a crash the barrier cannot catch), the supervisor starts it
    /// again on the same socket, where connections queue meanwhile: none is refused.
    static func run(_ arguments: ParsedArguments) async -> Int32 {
        let options: Options
        switch Self.options(arguments) {
        case .success(let checked): options = checked
        case .failure(let status): return status.code
        }
        if let inherited = Supervisor.inheritedListener() {
            return await serve(options, listener: inherited)
        }
        if arguments.flag("--no-restart") {
            return await serve(options, listener: nil)
        }
        let listener: Socket
        do {
            listener = try Socket.listen(host: options.host, port: options.port)
        } catch {
            HostLog.err("error: cannot listen on \(options.host):\(options.port): \(error)\n")
            return 1
        }
        return await Supervisor(listener: listener).run()
    }

    /// The gateway: builds, serves and watches until SIGINT or SIGTERM.
    static func serve(_ options: Options, listener: Socket?) async -> Int32 {
        let style = TerminalStyle(fd: 1)
        let project = options.project
        let compiler: HandlerCompiler
        do {
            compiler = try HandlerCompiler(project: project, mode: options.release ? .release : .debug)
        } catch {
            HostLog.err("error: \(error)\n")
            return 1
        }
        let printer = EventPrinter(style: style)
        let devServer = DevServer(
            project: project, compiler: compiler, drainTimeout: options.drainTimeout,
            handlerTimeout: options.handlerTimeout, restarts: Supervisor.restarts, liveReload: options.liveReload,
            report: { printer.print($0) })
        devServer.discover()

        var configuration = HTTPServer.Configuration()
        configuration.host = options.host
        configuration.port = options.port
        configuration.limits.maxBodyBytes = options.maxBody
        configuration.accessLog = options.accessLog
        configuration.crashBarrier = options.crashBarrier
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: configuration, responder: devServer, listener: listener)
            try server.start()
        } catch {
            HostLog.err("error: cannot listen on \(configuration.host):\(options.port): \(error)\n")
            return 1
        }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        HostLog.line("listening on http://\(host):\(server.port)")

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
        await devServer.buildAll()
        let loaded = devServer.endpointIDs.filter { devServer.state(of: $0) == .loaded }.count
        HostLog.out(
            StartupSummary.format(status: devServer.status(), url: "http://\(host):\(server.port)", style: style))
        HostLog.line(
            "ready: \(loaded) of \(devServer.endpointIDs.count) endpoints serving (\(Int(MonotonicClock.milliseconds(since: start))) ms)"
        )
        printer.startupFinished()
        let record = ServerRecord(
            url: "http://\(host):\(server.port)", host: options.host, port: server.port, pid: getpid())
        record.write(project)

        let signal = await TerminationSignal.next()
        HostLog.line("\(signal == SIGINT ? "interrupt" : "terminate"): finishing requests in flight, then exiting")
        TerminationSignal.onSecondSignal { _exit(130) }
        watcher?.stop()
        ServerRecord.removeIfOurs(project)
        let finished = await server.stop(grace: .seconds(10))
        if !finished { HostLog.err("edge-dev: requests still running after 10 s; exiting anyway\n") }
        return 0
    }
}

/// SIGINT and SIGTERM, delivered to async code through Dispatch.
enum TerminationSignal {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Waits for the first SIGINT or SIGTERM and returns which it was.
    static func next() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let once = Once()
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    if once.first() { continuation.resume(returning: number) }
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// A second signal while shutting down stops at once.
    static func onSecondSignal(_ action: @escaping @Sendable () -> Void) {
        for source in sources { source.setEventHandler(handler: action) }
    }

    private final class Once: @unchecked Sendable {
        private var fired = false
        private var lock = pthread_mutex_t()
        init() { pthread_mutex_init(&lock, nil) }
        func first() -> Bool {
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            if fired { return false }
            fired = true
            return true
        }
    }
}

/// Applies the watcher's changes to the dev server: each endpoint's changes strictly in the order
/// they were seen (a removal and a re-creation must not swap places), different endpoints in
/// parallel.
final class ChangeApplier: Sendable {
    private let devServer: DevServer
    private let tails = Mutex<[String: Task<Void, Never>]>([:])

    init(devServer: DevServer) { self.devServer = devServer }

    func apply(_ changes: [EndpointChange]) {
        let key = changes.first?.endpointID ?? ""
        let devServer = self.devServer
        tails.withLock { tails in
            let previous = tails[key]
            tails[key] = Task {
                await previous?.value
                for change in changes {
                    switch change {
                    case .rescan: await devServer.rescan()
                    case .removed(let id): devServer.endpointRemoved(id)
                    case .added(let id): await devServer.endpointAdded(id)
                    case .manifestChanged(let id): devServer.manifestChanged(id)
                    case .sourcesChanged(let id): await devServer.rebuild(id)
                    }
                }
            }
        }
    }
}
