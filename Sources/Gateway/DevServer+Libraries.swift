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
        for name in checkedOrder(graph) { _ = await buildLibrary(name, graph: graph) }
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
        guard known else { return }
        let order = checkedOrder(graph)
        guard order.contains(name) else { return }
        guard await buildLibrary(name, graph: graph) else { return }
        // Modules that import it, and any never built (say, out of a cycle just broken), in order;
        // one that fails blocks only what needs it. Then every endpoint that needs any of them
        // and none that failed.
        var rebuilt: Set<String> = [name]
        var failed: Set<String> = []
        for module in order where module != name {
            let imports = Set(graph.closure(of: graph.libraryImports[module] ?? []))
            let neverBuilt = state.withLock { $0.libraries[module]?.serving == nil }
            guard neverBuilt || !imports.isDisjoint(with: rebuilt) else { continue }
            guard imports.isDisjoint(with: failed) else {
                failed.insert(module)
                continue
            }
            if await buildLibrary(module, graph: graph) {
                rebuilt.insert(module)
            } else {
                failed.insert(module)
            }
        }
        let endpoints = Set(rebuilt.flatMap { graph.dependentEndpoints(of: $0) }).filter { id in
            graph.libraries(forEndpoint: id).allSatisfy { !failed.contains($0) }
        }
        await withTaskGroup(of: Void.self) { group in
            for id in endpoints.sorted() { group.addTask { _ = await self.rebuild(id) } }
        }
    }

    /// The modules that can build, in order; every module in (or depending on) an import cycle
    /// is reported as failed, naming the cycle.
    private func checkedOrder(_ graph: LibraryGraph) -> [String] {
        let (blocked, cycles) = graph.blockedByCycles()
        for cycle in cycles {
            let message = "import cycle between shared modules: \(cycle.joined(separator: " → "))"
            for name in Set(cycle) {
                let folder = project.displayPath(project.libraryDirectory(name))
                let diagnostic = Diagnostic(file: folder, line: nil, column: nil, severity: .error, message: message)
                state.withLock { state in
                    state.libraries[name]?.failed = true
                    state.libraries[name]?.lastBuild = BuildSummary(
                        ok: false, milliseconds: 0, diagnostics: [diagnostic])
                }
                report(
                    .libraryFailed(
                        name: name, diagnostics: [diagnostic], milliseconds: 0,
                        serving: state.withLock { $0.libraries[name]?.serving?.version },
                        dependents: graph.dependentEndpoints(of: name)))
            }
        }
        return graph.removing(blocked).buildOrder() ?? []
    }

    /// Builds module `name` against its dependencies' serving builds (or reuses an earlier
    /// run's build of the same sources); true when it built (it then serves).
    private func buildLibrary(_ name: String, graph: LibraryGraph) async -> Bool {
        let key = "_lib/" + name
        let generation = generations.withLock { generations -> Int in
            generations[key, default: 0] += 1
            return generations[key]!
        }
        let dependencies = state.withLock { state in
            graph.closure(of: graph.libraryImports[name] ?? []).compactMap { state.libraries[$0]?.serving }
        }
        let (result, artifact) = await compiler.buildLibrary(name, dependencies: dependencies)
        // A newer build of the module started meanwhile (a save during this one): it decides.
        guard isNewest(key, generation) else { return false }
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
