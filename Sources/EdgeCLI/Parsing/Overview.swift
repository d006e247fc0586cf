/// `edge-dev --help`: what the tool is, and its subcommands.
public enum Overview {
    public static func text(_ commands: [CommandSpec]) -> String {
        var text = """
            OVERVIEW: A dev server for Swift HTTP handlers: save a file, the endpoint
            recompiles and hot-swaps without the server stopping.

            USAGE: edge-dev <subcommand>

            SUBCOMMANDS:

            """
        for command in commands {
            text += CommandSpec.entry(command.name, command.abstract)
        }
        return text + "\n  See 'edge-dev <subcommand> --help' for detailed help.\n"
    }
}
