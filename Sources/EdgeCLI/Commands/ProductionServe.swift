import DataServices
import Dispatch
import EdgeHTTP
import EdgeSystem
import Gateway
import Glibc
import Production

/// `edge-dev serve --bundle DIR`: production serving of a bundle. No compiler, no watcher, no
/// dashboard, journal or live reload; health and metrics on a separate ops listener; SIGHUP
/// reads the bundle folder again and swaps what changed; SIGTERM drains and exits 0.
enum ProductionServe {
    static func run(_ options: ServeCommand.Options, bundle: String) async -> Int32 {
        // A reload asked for while starting must not end the process (SIGHUP's default), and a
        // log reader that goes away must not either (SIGPIPE's): writes then fail with EPIPE.
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        await DispatchTimers.prepare()
        let start = MonotonicClock.nanoseconds()
        let folder = FilePath.absolute(bundle)
        let manifest: BundleManifest
        do {
            manifest = try BundleManifest.read(bundle: FilePath.resolvingSymlinks(folder))
        } catch {
            HostLog.err("error: \(error)\n")
            return 1
        }
        // Beside the bundle, never inside it: a deploy replaces the bundle, not the data.
        let data = options.data.map(FilePath.absolute) ?? FilePath.join(FilePath.directory(of: folder), "edge-data")
        do {
            try FilePath.createDirectories(data)
        } catch {
            HostLog.err("error: cannot create the data folder \(data): \(error)\n")
            return 1
        }
        let metrics = Metrics(buildInfo: [("toolchain", manifest.toolchain)])
        let server = ProductionServer(
            bundle: folder, dataDirectory: data, handlerTimeout: options.handlerTimeout,
            drainTimeout: options.drainTimeout, metrics: metrics,
            journal: options.productionJournal ? RequestJournal(limits: options.journalLimits) : nil)
        do {
            let outcome = try server.load()
            HostLog.line("loaded \(outcome.added.count) endpoints from \(FilePath.resolvingSymlinks(folder))")
        } catch {
            HostLog.err("error: \(error)\n")
            return 1
        }

        guard let (opsHost, opsPort) = hostAndPort(options.opsAddress) else {
            HostLog.err("error: --ops-address \(options.opsAddress): expected HOST:PORT\n")
            return 1
        }
        let configuration = options.serverConfiguration
        var opsConfiguration = HTTPServer.Configuration()
        opsConfiguration.host = opsHost
        opsConfiguration.port = opsPort
        opsConfiguration.accessLog = false
        opsConfiguration.loops = 1
        // Probes and scrapes: a few connections, not a share of the public port's descriptors.
        opsConfiguration.maxConnections = 64
        let publicServer: HTTPServer
        let ops: HTTPServer
        do {
            publicServer = try HTTPServer(configuration: configuration, responder: server, listener: activatedSocket())
            try publicServer.start()
        } catch {
            HostLog.err("error: cannot listen on \(options.host):\(options.port): \(error)\n")
            return 1
        }
        do {
            ops = try HTTPServer(configuration: opsConfiguration, responder: OpsResponder(server: server))
            try ops.start()
        } catch {
            HostLog.err("error: cannot listen on the ops address \(options.opsAddress): \(error)\n")
            return 1
        }
        HostLog.line("listening on http://\(Socket.urlHost(options.host)):\(publicServer.port)")
        HostLog.line("ops on http://\(Socket.urlHost(opsHost)):\(ops.port)")
        HostLog.line(
            "ready: \(manifest.endpoints.count) endpoints serving (\(Int(MonotonicClock.milliseconds(since: start))) ms)"
        )

        let reloads = DispatchQueue(label: "edge-dev.reload")
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: reloads)
        hangup.setEventHandler { reload(server) }
        hangup.resume()

        let signal = await TerminationSignal.next()
        HostLog.line("\(signal == SIGINT ? "interrupt" : "terminate"): finishing requests in flight, then exiting")
        TerminationSignal.onSecondSignal { _exit(130) }
        hangup.cancel()
        let finished = await publicServer.stop(grace: options.drainTimeout)
        _ = await ops.stop(grace: .seconds(1))
        if !finished { HostLog.err("edge-dev: requests still running after the drain timeout; exiting anyway\n") }
        return 0
    }

    /// SIGHUP: the bundle folder again. A bundle that does not validate changes nothing.
    static func reload(_ server: ProductionServer) {
        let start = MonotonicClock.nanoseconds()
        do {
            let outcome = try server.load()
            server.metrics.reloaded("ok")
            func list(_ ids: [String]) -> String { ids.isEmpty ? "none" : ids.joined(separator: ", ") }
            HostLog.line(
                "reloaded \(FilePath.resolvingSymlinks(server.bundle)) in \(Int(MonotonicClock.milliseconds(since: start))) ms: "
                    + "swapped \(list(outcome.swapped)); added \(list(outcome.added)); removed \(list(outcome.removed)); "
                    + "\(outcome.unchanged.count) unchanged")
        } catch {
            server.metrics.reloaded("refused")
            HostLog.err("edge-dev: reload refused, the running bundle keeps serving: \(error)\n")
        }
    }

    /// The socket systemd passes (`LISTEN_FDS`, `LISTEN_PID`: descriptor 3), if it passed one.
    static func activatedSocket() -> Socket? {
        guard let pid = getenv("LISTEN_PID").flatMap({ Int32(String(cString: $0)) }), pid == getpid(),
            let count = getenv("LISTEN_FDS").flatMap({ Int(String(cString: $0)) }), count >= 1
        else { return nil }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        _ = fcntl(3, F_SETFD, FD_CLOEXEC)
        return Socket(fd: 3)
    }

    static func hostAndPort(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

extension ServeCommand {
    /// `serve --bundle DIR`.
    public static func serveBundle(_ options: Options, bundle: String) async -> Int32 {
        await ProductionServe.run(options, bundle: bundle)
    }
}
