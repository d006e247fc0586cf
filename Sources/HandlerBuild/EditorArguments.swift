import EdgeSystem

/// What an editor's language server (sourcekit-lsp) must be told to understand a handler file:
/// the same flags `serve` compiles with, for the endpoint's (or module's) files as they are now.
///
/// Measured with sourcekit-lsp 6.3.1: `-I` to the SDK (else "No such module 'EdgeSDK'"), every
/// file of the endpoint in every entry (else false "Cannot find 'X' in scope"), `-swift-version 6`
/// and `-parse-as-library` (else the editor accepts code edge-dev rejects), and each shared module
/// with its search path and alias. The generated glue file, `-target` and the module cache do not
/// matter to it.
extension HandlerCompiler {
    /// `swiftc` arguments (the compiler itself not included) for endpoint `id`, compiled against
    /// `libraries` (dependencies first).
    public nonisolated func editorArguments(forEndpoint id: String, libraries: [LibraryArtifact]) -> [String] {
        editorArguments(
            moduleName: Self.moduleName(id, version: 0), sources: project.sourceFiles(id), libraries: libraries)
    }

    /// `swiftc` arguments for shared module `name`, against the modules it imports.
    public nonisolated func editorArguments(forLibrary name: String, dependencies: [LibraryArtifact]) -> [String] {
        editorArguments(
            moduleName: Self.libraryModuleName(name, version: 0), sources: project.librarySourceFiles(name),
            libraries: dependencies)
    }

    private nonisolated func editorArguments(moduleName: String, sources: [String], libraries: [LibraryArtifact])
        -> [String]
    {
        var arguments = [
            "-module-name", moduleName, "-I", sdk.moduleDirectory, "-swift-version", "6",
            "-parse-as-library",
        ]
        for library in libraries {
            arguments += ["-I", library.directory, "-module-alias", "\(library.name)=\(library.moduleName)"]
        }
        return arguments + sources
    }

    /// `compile_commands.json` for the whole project: one entry per source file, each carrying its
    /// endpoint's (or module's) full arguments, for editors without Build Server Protocol support.
    public nonisolated func compileCommands(libraries: [String: LibraryArtifact], graph: LibraryGraph) -> JSONValue {
        var entries: [JSONValue] = []
        func add(_ arguments: [String], files: [String]) {
            for file in files {
                entries.append(
                    .object([
                        ("directory", .string(project.rootDirectory)), ("file", .string(file)),
                        ("arguments", .array(([toolchain.swiftc] + arguments).map { .string($0) })),
                    ]))
            }
        }
        for name in graph.buildOrder() ?? [] {
            let dependencies = graph.closure(of: graph.libraryImports[name] ?? []).compactMap { libraries[$0] }
            add(editorArguments(forLibrary: name, dependencies: dependencies), files: project.librarySourceFiles(name))
        }
        for id in project.endpointIDs() {
            let needed = graph.libraries(forEndpoint: id).compactMap { libraries[$0] }
            add(editorArguments(forEndpoint: id, libraries: needed), files: project.sourceFiles(id))
        }
        return .array(entries)
    }
}
