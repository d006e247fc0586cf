import DataServices
import EdgeSDK
import EdgeSystem
import Glibc
import HandlerBuild
import HandlerRuntime
import Synchronization

/// Endpoint lifecycle: discovering, building, swapping, removing and re-routing endpoints.
extension DevServer {
    // MARK: - Endpoints

    /// Ids of the endpoints known now.
    public var endpointIDs: [String] { state.withLock { $0.records.keys.sorted() } }

    /// Registers every endpoint of the project and routes them; builds nothing yet.
    public func discover() {
        reloadConfiguration(quietly: true)
        // Before any endpoint is served: handlers may rely on the schema.
        migrate()
        for id in project.endpointIDs() { register(id) }
        refreshRoutes()
    }

    /// Builds every known endpoint, in parallel up to the number of cores, loading each as it
    /// succeeds.
    public func buildAll() async {
        await buildLibraries()
        await withTaskGroup(of: Void.self) { group in
            for id in endpointIDs { group.addTask { _ = await self.rebuild(id) } }
        }
        await compiler.prepareForSaves()
    }

    /// A new `handlers/<id>/` folder (or its `src/`): register, route, build. For an endpoint
    /// already known, a rebuild.
    public func endpointAdded(_ id: String) async {
        guard Project.isValidEndpointID(id), !Project.reservedFolders.contains(id),
            FilePath.isDirectory(project.sourceDirectory(id))
        else { return }
        if state.withLock({ $0.records[id] != nil }) {
            _ = await rebuild(id)
            return
        }
        register(id)
        refreshRoutes()
        report(.endpointAdded(endpoint: id))
        _ = await rebuild(id)
    }

    /// A removed `handlers/<id>/` folder: stop routing to it; its in-flight requests finish.
    public func endpointRemoved(_ id: String) {
        let removed = state.withLock { state in
            state.routed[id] = nil
            return state.records.removeValue(forKey: id)
        }
        guard removed != nil else { return }
        refreshRoutes()
        registry.remove(id, drainTimeout: drainTimeout)
        report(.endpointRemoved(endpoint: id))
    }

    /// `endpoint.json` changed: re-read it and re-route, without rebuilding.
    public func manifestChanged(_ id: String) {
        guard state.withLock({ $0.records[id] != nil }) else { return }
        loadManifest(id)
        refreshRoutes()
        report(.routesChanged(endpoint: id))
    }

    /// Builds `id` (a no-op when its sources are unchanged) and gracefully swaps to the result.
    /// A failed build leaves the serving version in place.
    ///
    /// Rebuilds of one endpoint may overlap (saves arrive during builds): the compiler cancels the
    /// older build, and only the newest rebuild may swap, so the endpoint never ends up on code
    /// older than the last save.
    @discardableResult
    public func rebuild(_ id: String) async -> BuildResult? {
        guard let gate = state.withLock({ $0.records[id]?.firstBuild }) else { return nil }
        let generation = generations.withLock { generations -> Int in
            generations[id, default: 0] += 1
            return generations[id]!
        }
        report(.buildStarted(endpoint: id))
        let result = await compiler.build(id, libraries: librariesFor(id), request: generation)
        defer { if result.status != .superseded { gate.open() } }
        switch result.status {
        case .superseded:
            return result
        case .failed:
            guard isNewest(id, generation) else { return result }
            record(
                id, BuildSummary(ok: false, milliseconds: result.durationMilliseconds, diagnostics: result.diagnostics))
            registry.markFailed(id, message: result.errors.map(\.formatted).joined(separator: "\n"))
            report(
                .buildFailed(
                    endpoint: id, diagnostics: result.diagnostics, milliseconds: result.durationMilliseconds,
                    serving: registry.handler(for: id)?.version))
            return result
        case .built, .unchanged:
            guard let path = result.libraryPath else { return result }
            load(id, path: path, result: result, generation: generation)
            return result
        }
    }

    func isNewest(_ id: String, _ generation: Int) -> Bool {
        generations.withLock { $0[id] == generation }
    }

    /// Swaps to `path` unless a newer rebuild has started (it will swap instead) or that
    /// version already serves. The library is opened first, outside any lock (`dlopen` binds
    /// every symbol: milliseconds); the check and the swap then hold one lock, so two rebuilds'
    /// swaps cannot interleave.
    func load(_ id: String, path: String, result: BuildResult, generation: Int) {
        // A rebuild a newer save overtook, or of a removed endpoint, opens nothing: every opened
        // image stays mapped for ever (fact 1), and its entry point would run the user's code.
        guard mayLoad(id, generation), registry.handler(for: id)?.version != result.version else { return }
        let opened: LoadedHandler
        do {
            opened = try registry.open(id, path: path, version: result.version)
        } catch {
            let diagnostic = Diagnostic(file: nil, line: nil, column: nil, severity: .error, message: "\(error)")
            guard mayLoad(id, generation) else { return }
            record(id, BuildSummary(ok: false, milliseconds: result.durationMilliseconds, diagnostics: [diagnostic]))
            registry.markFailed(id, message: "\(error)")
            report(
                .buildFailed(
                    endpoint: id, diagnostics: [diagnostic], milliseconds: result.durationMilliseconds,
                    serving: registry.handler(for: id)?.version))
            return
        }
        let swapped = generations.withLock { generations -> (SwapResult, Bool)? in
            guard generations[id] == generation, isKnown(id) else { return nil }
            let serving = registry.handler(for: id)
            if let serving, serving.version == opened.version { return nil }
            return (registry.swapGraceful(to: opened, drainTimeout: drainTimeout), serving != nil)
        }
        guard let (swap, replaced) = swapped else { return }
        record(
            id,
            BuildSummary(
                ok: true, milliseconds: result.durationMilliseconds, diagnostics: result.diagnostics,
                reused: result.status == .unchanged))
        report(
            .buildSucceeded(
                endpoint: id, version: swap.newVersion, milliseconds: result.durationMilliseconds,
                swap: replaced ? swap : nil))
        if replaced, !swap.draining, let old = swap.oldVersion {
            report(.retired(endpoint: id, version: old, reason: .idle))
        }
        if runsExamples, !exampleFiles(id).isEmpty {
            let version = swap.newVersion
            Task.detached { await self.runExamples(id, version: version) }
        }
    }

    /// True while `generation` is the newest rebuild of `id` and `id` is still an endpoint.
    func mayLoad(_ id: String, _ generation: Int) -> Bool {
        isNewest(id, generation) && isKnown(id)
    }

    func isKnown(_ id: String) -> Bool { state.withLock { $0.records[id] != nil } }

    /// Compares the project on disk with what is known (after lost file events): adds new
    /// endpoints, removes vanished ones, re-reads every manifest, and rebuilds what changed (the
    /// content hashes skip the rest).
    public func rescan() async {
        reloadConfiguration()
        await buildLibraries()
        let onDisk = Set(project.endpointIDs())
        let known = Set(endpointIDs)
        for id in known.subtracting(onDisk) { endpointRemoved(id) }
        for id in known.intersection(onDisk) { loadManifest(id) }
        refreshRoutes()
        await withTaskGroup(of: Void.self) { group in
            for id in onDisk.subtracting(known) { group.addTask { await self.endpointAdded(id) } }
            for id in onDisk.intersection(known) { group.addTask { _ = await self.rebuild(id) } }
        }
    }

    func record(_ id: String, _ summary: BuildSummary) {
        state.withLock { $0.records[id]?.lastBuild = summary }
    }

    /// Endpoint `id`'s `ctx.state`, with what it held when edge-dev last ran; in memory only
    /// (said once) when its file cannot be opened.
    func durableStore(_ id: String) -> StateStore {
        do {
            return try services.stateStore(endpoint: id)
        } catch {
            report(.handlerLog("edge-dev: ctx.state of \(id) is kept in memory only: \(error)"))
            return StateStore()
        }
    }

    /// Applies new migrations (of every database, or of `database`), reporting each outcome.
    public func migrate(_ database: String? = nil) {
        for (name, outcome) in services.migrate(only: database).sorted(by: { $0.key < $1.key }) {
            reportMigrations(name, outcome)
        }
    }

    /// What a migration run of database `name` did, as events: those applied, then a failure.
    func reportMigrations(_ name: String, _ outcome: Migrations.Outcome) {
        if !outcome.applied.isEmpty { report(.migrationsApplied(database: name, names: outcome.applied)) }
        if let failure = outcome.failure {
            report(.migrationFailed(database: name, file: failure.file, line: failure.line, message: failure.message))
        }
    }

    func register(_ id: String) {
        // Opened before the lock every request takes: it reads a file.
        let store = durableStore(id)
        state.withLock { state in
            if state.records[id] == nil { state.records[id] = Record(store: store) }
        }
        registry.markCreated(id)
        loadManifest(id)
    }

    func loadManifest(_ id: String) {
        var manifest: EndpointManifest?
        var problem: ManifestError?
        do {
            manifest = try EndpointManifest.load(id, in: project)
        } catch {
            problem = error
        }
        state.withLock { state in
            state.records[id]?.manifest = manifest
            state.records[id]?.manifestError = problem
            Self.refreshEnvironment(id, in: &state)
        }
        if let problem { report(.routeError(endpoint: id, error: problem)) }
    }

    /// Rebuilds the route table from every valid manifest and swaps it in atomically.
    func refreshRoutes() {
        let conflicts = state.withLock { state -> [String: ManifestError] in
            let manifests = state.records.compactMap { id, record in
                record.manifest.map { (id: id, manifest: $0, file: project.displayPath(project.manifestPath(id))) }
            }
            let (table, conflicts) = RouteTable.build(manifests)
            state.routes = table
            for id in state.records.keys where state.records[id]?.manifest != nil {
                if let conflict = conflicts[id] {
                    state.records[id]?.manifestError = conflict
                } else if state.records[id]?.manifestError != nil {
                    state.records[id]?.manifestError = nil
                }
            }
            return conflicts
        }
        for (id, error) in conflicts.sorted(by: { $0.key < $1.key }) { report(.routeError(endpoint: id, error: error)) }
    }
}
