import EdgeSystem
import HandlerBuild

/// `buildServer.json` in the project folder: how sourcekit-lsp finds and starts `edge-dev bsp`
/// (the BSP connection file; sourcekit-lsp reads it from the workspace root, and since Swift 6.1
/// from `.bsp/` there first).
///
/// `argv` holds the absolute path of the `edge-dev` that wrote it, so an editor starts the same
/// binary; if that binary moves, the file is stale until the next `serve`, `build`, `new` or
/// `editor` run rewrites it.
public enum BuildServerFile {
    public static let name = "buildServer.json"

    public static func path(in project: Project) -> String { FilePath.join(project.rootDirectory, name) }

    /// `handlers` is named in `argv` only when it is not `handlers/` in the project folder (the
    /// build server's default, which keeps the file valid when the project moves).
    public static func document(executable: String, handlers: String? = nil) -> JSONValue {
        var argv: [JSONValue] = [.string(executable), "bsp"]
        if let handlers { argv += ["--handlers", .string(handlers)] }
        return .object([
            ("name", "edge-dev"), ("version", .string(BuildServer.version)),
            ("bspVersion", .string(BuildServer.bspVersion)), ("languages", ["swift"]), ("argv", .array(argv)),
        ])
    }

    /// The running `edge-dev`, as an absolute path.
    public static func runningExecutable() -> String { FilePath.resolvingSymlinks("/proc/self/exe") }

    public enum Outcome: Equatable, Sendable {
        case written
        case current
        /// The file names another build server: the user's own, left alone.
        case foreign(String)
    }

    /// Writes the file when it is missing or stale (another `edge-dev` path, an older format).
    public static func update(_ project: Project, executable: String = runningExecutable()) throws(SystemError)
        -> Outcome
    {
        let path = path(in: project)
        let named = FilePath.lastComponent(project.handlersDirectory) == "handlers"
        let wanted = document(executable: executable, handlers: named ? nil : project.handlersDirectory)
        if let text = try? FilePath.readText(path), let existing = try? JSONValue.parse(text) {
            guard existing["name"] == "edge-dev" else {
                if case .string(let other)? = existing["name"] { return .foreign(other) }
                return .foreign("an unnamed build server")
            }
            if existing == wanted { return .current }
        }
        try FilePath.write(wanted.serialized + "\n", to: path)
        return .written
    }
}
