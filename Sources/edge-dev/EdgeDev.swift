import EdgeCLI
import EdgeSystem
import Glibc

/// The `edge-dev` command line: picks a subcommand and runs it. Parsing, help and the commands
/// live in EdgeCLI; what stays here is `main` and the supervisor that `serve` runs under.
@main
enum EdgeDev {
    static let commands: [(spec: CommandSpec, run: @Sendable (ParsedArguments) async -> Int32)] = [
        (ServeCommand.spec, serve),
        (BuildCommand.spec, BuildCommand.run),
        (BundleCommand.spec, BundleCommand.run),
        (NewCommand.spec, NewCommand.run),
        (RoutesCommand.spec, RoutesCommand.run),
        (EditorCommand.spec, EditorCommand.run),
        (BSPCommand.spec, BSPCommand.run),
        (DataCommands.db, DataCommands.runDB),
        (DataCommands.state, DataCommands.runState),
        (DataCommands.clean, DataCommands.runClean),
        (ReplayCommand.spec, ReplayCommand.run),
        (TestCommand.spec, TestCommand.run),
    ]

    static func main() async {
        Supervisor.endWithTheSupervisor()
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, name != "--help", name != "-h", name != "help" else {
            HostLog.out(Overview.text(commands.map(\.spec)))
            exit(arguments.isEmpty ? 2 : 0)
        }
        guard let command = commands.first(where: { $0.spec.name == name }) else {
            HostLog.err("Error: Unknown subcommand '\(name)'\n\(Overview.text(commands.map(\.spec)))")
            exit(2)
        }
        do {
            let parsed = try ParsedArguments(Array(arguments.dropFirst()), spec: command.spec)
            if parsed.helpRequested {
                HostLog.out(command.spec.help)
                exit(0)
            }
            // Here, on the main thread and before the first suspension: see the type's comment.
            // (The supervisor of `serve` loads no handler, so it does without.)
            let loadsHandlers =
                command.spec.name == BuildCommand.spec.name || command.spec.name == EditorCommand.spec.name
                || command.spec.name == TestCommand.spec.name
                || (command.spec.name == ServeCommand.spec.name
                    && (Supervisor.isGateway || !ServeCommand.Options(parsed).restart
                        || ServeCommand.Options(parsed).bundle != nil))
            if loadsHandlers { FoundationOnTheMainThread.load() }
            let status = await command.run(parsed)
            // `_exit`, not `exit`: handlers have run in this process, and one that trapped inside
            // stdio could have left a lock that `exit`'s flushing would wait on for ever.
            _exit(status)
        } catch {
            HostLog.err("Error: \(error.message)\n\(error.usage)\n  See 'edge-dev \(name) --help'.\n")
            exit(2)
        }
    }

    /// `edge-dev serve` runs as two processes: this one binds the socket and supervises, the
    /// gateway (this same command, told so by the environment) builds and serves on that socket.
    /// If the gateway dies anyway (a crash the barrier cannot catch), the supervisor starts it
    /// again on the same socket, where connections queue meanwhile: none is refused.
    @Sendable static func serve(_ arguments: ParsedArguments) async -> Int32 {
        let options = ServeCommand.Options(arguments)
        // Production: the process manager (systemd, Kubernetes) supervises; SIGHUP reaches us.
        if let bundle = options.bundle { return await ServeCommand.serveBundle(options, bundle: bundle) }
        if let inherited = Supervisor.inheritedListener() {
            return await ServeCommand.serve(
                options, listener: inherited, restarts: Supervisor.restarts, inFlightTable: Supervisor.inFlightPath)
        }
        guard arguments.existingProject() != nil else { return 1 }
        if !options.restart {
            return await ServeCommand.serve(options, listener: nil, restarts: 0)
        }
        let listener: Socket
        do {
            listener = try Socket.listen(host: options.host, port: options.port)
        } catch {
            HostLog.err("error: cannot listen on \(options.host):\(options.port): \(error)\n")
            return 1
        }
        return await Supervisor(listener: listener, inFlightPath: ServeCommand.inFlightTablePath(options)).run()
    }
}
