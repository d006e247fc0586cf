import BuildServer
import EdgeSystem
import Glibc

/// `edge-dev bsp`: the build server an editor's sourcekit-lsp starts (from `buildServer.json`),
/// speaking the Build Server Protocol on standard input and output. It needs no running `serve`
/// and exits when its input closes.
public enum BSPCommand {
    public static let handlers = Option<String?>(
        "--handlers", "DIR",
        help: "The handlers folder (default: handlers/ in the workspace folder the editor opened).",
        shown: "<workspace>/handlers")

    public static let spec = CommandSpec(
        name: "bsp",
        abstract: "Run the build server that tells an editor's sourcekit-lsp how handlers compile (stdio).",
        options: [handlers])

    public static func run(_ arguments: ParsedArguments) async -> Int32 {
        // An editor that goes away mid-answer must end the server with EPIPE, not SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        return await BuildServer(handlersDirectory: arguments[handlers].map(FilePath.absolute)).run()
    }
}
