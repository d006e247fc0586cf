import EdgeSystem
import Glibc
import HandlerBuild

/// Shared modules: each version built once into its own library, before the endpoints that
/// import it; a saved module rebuilds, then every module and endpoint that imports it, directly
/// or not. A module that fails leaves its dependents serving what they serve.
extension DevServer {
    /// The builds of the modules endpoint `id` imports (dependencies first), as its sources say now.
    func librariesFor(_ id: String) -> [LibraryArtifact] {
        let imports = ImportScanner.modules(inFiles: project.sourceFiles(id))
        return state.withLock { state in
            state.graph.endpointImports[id] = imports.intersection(state.graph.libraryImports.keys)
            return state.graph.libraries(forEndpoint: id).compactMap { state.libraries[$0]?.serving }
        }
    }

    /// Builds every shared module in dependency order (at start, and after lost file events).
    public func buildLibraries() async {
        let graph = LibraryGraph.scan(project)
        state.withLock { state in
            state.graph = graph
            for name in graph.libraryImports.keys where state.libraries[name] == nil {
                state.libraries[name] = LibraryRecord()
            }
        }
        guard let order = checkedOrder(graph) else { return }
        for name in order { _ = await buildLibrary(name, graph: graph) }
    }

    /// A file of module `name` changed: rebuild it, then its dependents.
    public func libraryChanged(_ name: String) async {
        let graph = LibraryGraph.scan(project)
        let known = state.withLock { state -> Bool in
            state.graph = graph
            if graph.libraryImports[name] != nil, state.libraries[name] == nil {
                state.libraries[name] = LibraryRecord()
            }
            if graph.libraryImports[name] == nil { state.libraries[name] = nil }
            return graph.libraryImports[name] != nil
        }
        guard known, checkedOrder(graph) != nil else { return }
        guard await buildLibrary(name, graph: graph) else { return }
        // Modules that import it, in order, then every endpoint that needs any of them.
        let order = graph.buildOrder() ?? []
        for dependent in order where graph.dependentLibraries(of: name).contains(dependent) {
            guard await buildLibrary(dependent, graph: graph) else { return }
        }
        let endpoints = graph.dependentEndpoints(of: name)
        await withTaskGroup(of: Void.self) { group in
            for id in endpoints { group.addTask { _ = await self.rebuild(id) } }
        }
    }

    /// The build order, or nil after reporting the cycle on every module in it.
    private func checkedOrder(_ graph: LibraryGraph) -> [String]? {
        guard let cycle = graph.cycle() else { return graph.buildOrder() }
        let message = "import cycle between shared modules: \(cycle.joined(separator: " → "))"
        for name in Set(cycle) {
            let folder = project.displayPath(project.libraryDirectory(name))
            let diagnostic = Diagnostic(file: folder, line: nil, column: nil, severity: .error, message: message)
            state.withLock { state in
                state.libraries[name]?.failed = true
                state.libraries[name]?.lastBuild = BuildSummary(ok: false, milliseconds: 0, diagnostics: [diagnostic])
            }
            report(
                .libraryFailed(
                    name: name, diagnostics: [diagnostic], milliseconds: 0,
                    serving: state.withLock { $0.libraries[name]?.serving?.version },
                    dependents: graph.dependentEndpoints(of: name)))
        }
        return nil
    }

    /// Builds module `name` against its dependencies' serving builds (or reuses an earlier
    /// run's build of the same sources); true when it built (it then serves).
    private func buildLibrary(_ name: String, graph: LibraryGraph) async -> Bool {
        let dependencies = state.withLock { state in
            graph.closure(of: graph.libraryImports[name] ?? []).compactMap { state.libraries[$0]?.serving }
        }
        let (result, artifact) = await compiler.buildLibrary(name, dependencies: dependencies)
        let version = result.version ?? 0
        let summary = BuildSummary(
            ok: artifact != nil, milliseconds: result.durationMilliseconds, diagnostics: result.diagnostics,
            reused: result.status == .unchanged)
        let serving = state.withLock { state -> Int? in
            state.libraries[name]?.lastBuild = summary
            state.libraries[name]?.failed = artifact == nil
            if let artifact { state.libraries[name]?.serving = artifact }
            return state.libraries[name]?.serving?.version
        }
        let dependents = graph.dependentEndpoints(of: name)
        if artifact != nil {
            report(
                .libraryBuilt(
                    name: name, version: version, milliseconds: result.durationMilliseconds, dependents: dependents))
        } else {
            report(
                .libraryFailed(
                    name: name, diagnostics: result.diagnostics, milliseconds: result.durationMilliseconds,
                    serving: serving, dependents: dependents))
        }
        return artifact != nil
    }
}
