import Gateway

#if canImport(Glibc)
    import Glibc
#endif

/// The `edge-dev` command line: picks a subcommand and runs it.
@main
enum EdgeDev {
    static let commands: [(spec: CommandSpec, run: @Sendable (ParsedArguments) async -> Int32)] = [
        (ServeCommand.spec, ServeCommand.run),
        (BuildCommand.spec, BuildCommand.run),
        (NewCommand.spec, NewCommand.run),
        (RoutesCommand.spec, RoutesCommand.run),
    ]

    static let overview = """
        OVERVIEW: A dev server for Swift HTTP handlers: save a file, the endpoint recompiles and
        hot-swaps without the server stopping.

        USAGE: edge-dev <subcommand>

        SUBCOMMANDS:

        """

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, name != "--help", name != "-h", name != "help" else {
            HostLog.out(overviewText())
            exit(arguments.isEmpty ? 2 : 0)
        }
        guard let command = commands.first(where: { $0.spec.name == name }) else {
            HostLog.err("Error: Unknown subcommand '\(name)'\n\(overviewText())")
            exit(2)
        }
        do {
            let parsed = try command.spec.parse(Array(arguments.dropFirst()))
            if parsed.flag("--help") {
                HostLog.out(command.spec.help)
                exit(0)
            }
            let status = await command.run(parsed)
            // `_exit`, not `exit`: handlers have run in this process, and one that trapped inside
            // stdio could have left a lock that `exit`'s flushing would wait on for ever.
            _exit(status)
        } catch {
            HostLog.err("Error: \(error.message)\n\(error.usage)\n  See 'edge-dev \(name) --help'.\n")
            exit(2)
        }
    }

    static func overviewText() -> String {
        overview + commands.map { "  " + $0.spec.name.padding(to: 22) + $0.spec.abstract + "\n" }.joined()
            + "\n  See 'edge-dev <subcommand> --help' for detailed help.\n"
    }
}
