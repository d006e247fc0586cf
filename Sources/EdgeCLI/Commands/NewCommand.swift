import EdgeSystem
import Gateway
import HandlerBuild

/// `edge-dev new`: a new endpoint from a template that builds and answers at once.
public enum NewCommand {
    public static let method = Option<String>(
        "--method", "METHOD", help: "The HTTP method, or * for any.", default: "GET")
    public static let path = Option<String?>(
        "--path", "PATH", help: "The route; {name} segments capture path parameters.", shown: "/<name>")

    public static let spec = CommandSpec(
        name: "new",
        abstract: "Create a new endpoint: handlers/<name>/src/handler.swift and endpoint.json.",
        arguments: [Argument("name", help: "The endpoint id: letters, digits, '-' and '_'.")],
        options: [CommonOptions.handlers, method, path, library])

    public static let library = Flag(
        "--lib", help: "Create a shared module handlers/_lib/<name>/ instead, for endpoints to import.")

    public static func run(_ arguments: ParsedArguments) async -> Int32 {
        let name = arguments.positionals[0]
        if arguments[library] { return newLibrary(name, arguments) }
        let project = Project(handlersDirectory: arguments[CommonOptions.handlers])
        let folder = project.endpointDirectory(name)
        if let refusal = refusal(
            name, valid: Project.isValidEndpointID(name), kind: "endpoint",
            rule: "letters, digits, '-' and '_' (not starting with '-')", folder: folder, project: project)
        {
            return refusal
        }
        let verb = arguments[method].uppercased()
        let route = arguments[path] ?? "/\(name)"
        let manifestText = JSONValue.object([("method", .string(verb)), ("path", .string(route))]).serialized + "\n"
        let manifest: EndpointManifest
        do {
            manifest = try EndpointManifest.parse(manifestText, file: "--method/--path")
        } catch {
            HostLog.err("Error: \(error.message)\n\(spec.usage)\n")
            return 2
        }
        let handlerPath = FilePath.join(project.sourceDirectory(name), "handler.swift")
        do {
            try FilePath.createDirectories(project.sourceDirectory(name))
            try FilePath.write(manifestText, to: project.manifestPath(name))
            try FilePath.write(template(name: name, method: verb, path: route), to: handlerPath)
        } catch {
            HostLog.err("error: cannot create \(project.displayPath(folder)): \(error)\n")
            FilePath.removeTree(folder)
            return 1
        }
        let summary = "\(manifest.methodList.joined(separator: ",")) \(route)"
        HostLog.out(
            """
            created \(project.displayPath(handlerPath))
            created \(project.displayPath(project.manifestPath(name))) (\(summary))
            A running `edge-dev serve` picks it up at once; otherwise start one with `edge-dev serve`.
            Settings and secrets go in .env beside handlers/ (KEY=value lines, read with ctx.env["KEY"]);
            keep .env and .env.local out of git (add them to .gitignore).

            """)
        EditorSetup.updateBuildServerFile(project)
        return 0
    }

    static func template(name: String, method: String, path: String) -> String {
        """
        import EdgeSDK

        /// \(method == "*" ? "Any method" : method) \(path)
        ///
        /// Edit and save: `edge-dev serve` rebuilds this endpoint and swaps it in at once.
        func handle(_ ctx: Context, _ req: Request) async throws -> Response {
            .ok(
                Greeting(
                    message: "Hello from \(name)!", endpoint: ctx.endpointID, version: ctx.version,
                    parameters: req.pathParameters))
        }

        struct Greeting: Encodable {
            var message: String
            var endpoint: String
            var version: Int
            var parameters: [String: String]
        }

        """
    }

    /// The exit status when `name` cannot be made (an invalid name: 2, a folder that exists: 1),
    /// after saying why; nil when it can.
    static func refusal(_ name: String, valid: Bool, kind: String, rule: String, folder: String, project: Project)
        -> Int32?
    {
        guard valid else {
            HostLog.err("Error: Invalid \(kind) name '\(name)': use \(rule)\n\(spec.usage)\n")
            return 2
        }
        guard !FilePath.exists(folder) else {
            HostLog.err("error: \(project.displayPath(folder)) already exists; choose another name\n")
            return 1
        }
        return nil
    }

    /// `edge-dev new --lib Models`: a shared module that builds at once.
    static func newLibrary(_ name: String, _ arguments: ParsedArguments) -> Int32 {
        let project = Project(handlersDirectory: arguments[CommonOptions.handlers])
        let folder = project.libraryDirectory(name)
        if let refusal = refusal(
            name, valid: Project.isValidModuleName(name), kind: "module",
            rule: "a Swift identifier (letters, digits and '_', not starting with a digit)", folder: folder,
            project: project)
        {
            return refusal
        }
        let file = FilePath.join(folder, "\(name).swift")
        let source = """
            /// The shared module `\(name)`: any endpoint (or other module) uses it with `import \(name)`.
            /// Declarations must be `public` to be seen there. Saving a file here rebuilds the module and
            /// every endpoint that imports it.
            public enum \(name) {
                public static func greeting(for name: String) -> String { "Hello, \\(name)!" }
            }

            """
        do {
            try FilePath.createDirectories(folder)
            try FilePath.write(source, to: file)
        } catch {
            HostLog.err("error: cannot create \(project.displayPath(folder)): \(error)\n")
            return 1
        }
        HostLog.out(
            """
            created \(project.displayPath(file))
            Endpoints use it with `import \(name)`; a running `edge-dev serve` builds it at once.

            """)
        EditorSetup.updateBuildServerFile(project)
        return 0
    }
}
