import EdgeSystem
import HandlerBuild

/// `edge-dev editor --compile-commands`: tells an editor's sourcekit-lsp how edge-dev compiles
/// each endpoint and shared module, from the same code that builds them.
public enum EditorCommand {
    public static let compileCommands = Flag(
        "--compile-commands",
        help: "Write compile_commands.json beside handlers/ (for editors without Build Server Protocol support).")

    public static let spec = CommandSpec(
        name: "editor",
        abstract: "Write the files an editor's language server needs to understand the handlers.",
        options: [CommonOptions.handlers, compileCommands])

    public static func run(_ arguments: ParsedArguments) async -> Int32 {
        guard let project = arguments.existingProject() else { return 1 }
        guard arguments[compileCommands] else {
            HostLog.err(
                "Error: say what to write: --compile-commands (a build server, buildServer.json, is not "
                    + "part of this version yet)\n\(spec.usage)\n")
            return 2
        }
        let compiler: HandlerCompiler
        do {
            compiler = try HandlerCompiler(project: project)
        } catch {
            HostLog.err("error: \(error)\n")
            return 1
        }
        // Modules are compiled against what `build` or `serve` built last; without a build, the
        // editor is told the module folders that the first build will fill.
        let graph = LibraryGraph.scan(project)
        var libraries: [String: LibraryArtifact] = [:]
        for name in graph.buildOrder() ?? [] {
            let dependencies = graph.closure(of: graph.libraryImports[name] ?? []).compactMap { libraries[$0] }
            let (_, artifact) = await compiler.buildLibrary(name, dependencies: dependencies)
            if let artifact { libraries[name] = artifact }
        }
        let path = FilePath.join(project.rootDirectory, "compile_commands.json")
        let document = compiler.compileCommands(libraries: libraries, graph: graph)
        do {
            try FilePath.write(document.serialized + "\n", to: path)
        } catch {
            HostLog.err("error: cannot write \(path): \(error)\n")
            return 1
        }
        guard case .array(let entries) = document else { return 1 }
        HostLog.line(
            "wrote \(project.displayPath(path)) (\(entries.count) files); run it again after adding files or "
                + "endpoints, and restart the editor's language server to read it")
        return 0
    }
}
