import BuildServer
import EdgeSystem
import Glibc
import HandlerBuild

/// `edge-dev editor`: tells an editor's sourcekit-lsp how edge-dev compiles each endpoint and
/// shared module, from the same code that builds them: `buildServer.json` (the build server,
/// `edge-dev bsp`), or with `--compile-commands` a `compile_commands.json` for editors without
/// Build Server Protocol support.
public enum EditorCommand {
    public static let compileCommands = Flag(
        "--compile-commands",
        help: "Also write compile_commands.json beside handlers/ (for editors without Build Server Protocol support).")

    public static let spec = CommandSpec(
        name: "editor",
        abstract: "Write buildServer.json so editors using sourcekit-lsp understand the handlers.",
        options: [CommonOptions.handlers, compileCommands])

    public static func run(_ arguments: ParsedArguments) async -> Int32 {
        guard let project = arguments.existingProject() else { return 1 }
        let compiler: HandlerCompiler
        do {
            compiler = try HandlerCompiler(project: project.forEditor(session: "compile-commands"))
        } catch {
            HostLog.err("error: \(error)\n")
            return 1
        }
        let shown = project.displayPath(BuildServerFile.path(in: project))
        let line = EditorSetup.updateBuildServerFile(project, announce: false, always: true)
        HostLog.line(line ?? "\(shown) is current: editors that use sourcekit-lsp start `edge-dev bsp` from it")
        if arguments[compileCommands], await writeCompileCommands(project, compiler) != 0 { return 1 }
        await adviseOnLanguageServer(compiler.toolchain, scratch: project.edgeDirectory)
        return 0
    }

    /// Which sourcekit-lsp the editor must use, and whether the one on PATH is it.
    static func adviseOnLanguageServer(_ toolchain: Toolchain, scratch: String) async {
        let bin = FilePath.directory(of: FilePath.resolvingSymlinks(toolchain.swiftc))
        let ours = FilePath.join(bin, "sourcekit-lsp")
        guard access(ours, X_OK) == 0 else {
            HostLog.line(
                "warning: no sourcekit-lsp beside \(toolchain.swiftc); install the full Swift toolchain that "
                    + "edge-dev builds with")
            return
        }
        HostLog.line("the editor's language server must be \(ours) (the Swift that builds the handlers)")
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        guard
            let first = path.split(separator: ":").map({ FilePath.join(String($0), "sourcekit-lsp") })
                .first(where: { access($0, X_OK) == 0 })
        else { return }
        try? FilePath.createDirectories(scratch)
        if let problem = await ToolchainCheck.mismatch(languageServer: first, toolchain: toolchain, scratch: scratch) {
            HostLog.line("warning: \(problem)")
        }
    }

    /// compile_commands.json with the editor's builds of the shared modules (built now when
    /// missing or stale).
    static func writeCompileCommands(_ project: Project, _ compiler: HandlerCompiler) async -> Int32 {
        let graph = LibraryGraph.scan(project)
        var libraries: [String: LibraryArtifact] = [:]
        for name in graph.removing(graph.blockedByCycles().blocked).buildOrder() ?? [] {
            let dependencies = graph.closure(of: graph.libraryImports[name] ?? []).compactMap { libraries[$0] }
            let (result, artifact) = await compiler.buildLibrary(name, dependencies: dependencies)
            if let artifact {
                libraries[name] = artifact
            } else {
                HostLog.err(
                    "warning: _lib/\(name) does not compile; its importers will show 'No such module': "
                        + (result.diagnostics.first?.formatted ?? "see `edge-dev build`") + "\n")
            }
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
