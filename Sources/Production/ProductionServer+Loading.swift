import DataServices
import EdgeSDK
import EdgeSystem
import Gateway
import Glibc
import HandlerBuild
import HandlerRuntime

extension ProductionServer {
    /// What a load or reload did.
    public struct LoadOutcome: Sendable, Equatable {
        public var swapped: [String] = []
        public var added: [String] = []
        public var removed: [String] = []
        public var unchanged: [String] = []
    }

    /// Reads the bundle folder (again) and serves what it holds: endpoints whose hash changed are
    /// swapped gracefully, new ones loaded, missing ones removed, the rest left alone. Nothing
    /// changes unless everything validates: a broken bundle throws, naming the problem, and the
    /// running versions keep serving.
    @discardableResult
    public func load() throws(BundleError) -> LoadOutcome {
        try reloading.withLock { _ throws(BundleError) in try loadSerialized() }
    }

    private func loadSerialized() throws(BundleError) -> LoadOutcome {
        let folder = FilePath.resolvingSymlinks(bundle)
        let manifest = try BundleManifest.read(bundle: folder)
        let (current, oldFolder, sdkHash) = state.withLock { ($0.manifest, $0.folder, $0.sdkHash) }

        // Validate before touching anything.
        if let current, current.toolchain != manifest.toolchain {
            throw BundleError(
                "\(folder) was built with \(manifest.toolchain), the running bundle with \(current.toolchain): "
                    + "restart the process to change toolchains")
        }
        let sdk = FilePath.join(folder, "lib/libEdgeSDK.so")
        guard let sdkBytes = try? FilePath.readBytes(sdk) else { throw BundleError("\(sdk) is missing") }
        var hasher = ContentHasher()
        hasher.combine(sdkBytes)
        if let sdkHash, sdkHash != hasher.value {
            throw BundleError(
                "\(sdk) differs from the one this process loaded (another edge-dev): restart the process to deploy it")
        }
        for name in manifest.runtime where !FilePath.exists(FilePath.join(folder, "lib/\(name)")) {
            throw BundleError("\(FilePath.join(folder, "lib/\(name)")) is missing (the manifest lists it)")
        }
        let endpointsProject = Project(handlersDirectory: FilePath.join(folder, "endpoints"))
        var manifests: [(id: String, manifest: EndpointManifest, file: String)] = []
        for endpoint in manifest.endpoints {
            let library = FilePath.join(folder, endpoint.library)
            guard FilePath.isRegularFile(library) else { throw BundleError("\(library) is missing") }
            do {
                let parsed = try EndpointManifest.load(endpoint.id, in: endpointsProject)
                manifests.append((endpoint.id, parsed, endpointsProject.manifestPath(endpoint.id)))
            } catch {
                throw BundleError("\(error)")
            }
        }
        let (routes, conflicts) = RouteTable.build(manifests)
        if let conflict = conflicts.values.first { throw BundleError("\(conflict)") }
        let served = state.withLock { $0.endpoints }
        let changed = manifest.endpoints.filter { served[$0.id]?.hash != $0.hash }
        for endpoint in changed {
            // dlopen of a path already open returns the code loaded from it the first time.
            if let old = served[endpoint.id], old.library == FilePath.join(folder, endpoint.library) {
                throw BundleError(
                    "endpoint \(endpoint.id) changed inside the running bundle folder \(oldFolder): "
                        + "build each bundle into a new folder and switch a link to it")
            }
        }

        // A library opened once stays mapped (`-z nodelete`), even by a reload that was refused
        // later: a folder fixed in place would hand back that first code.
        let openedBefore = state.withLock { $0.openedLibraries }
        for endpoint in changed where openedBefore.contains(FilePath.join(folder, endpoint.library)) {
            throw BundleError(
                "\(FilePath.join(folder, endpoint.library)) was loaded before with other code (a refused reload, "
                    + "or a bundle changed in place): build the bundle into a new folder")
        }

        // The migrations before any new code runs: a new version may need a new column.
        let migrated = services.migrate(from: folder)
        for (database, outcome) in migrated.sorted(by: { $0.key < $1.key }) {
            if let failure = outcome.failure { throw BundleError("database \(database): \(failure)") }
            if !outcome.applied.isEmpty {
                HostLog.line("database \(database): applied \(outcome.applied.joined(separator: ", "))")
            }
        }

        // Modules first (their sonames are unique to their content), then the endpoints'
        // libraries: opened, not yet serving.
        for module in manifest.modules {
            let path = FilePath.join(folder, module.library)
            guard dlopen(path, RTLD_NOW | RTLD_GLOBAL) != nil else {
                throw BundleError("cannot load module \(module.name) (\(path)): \(String(cString: dlerror()))")
            }
        }
        var opened: [LoadedHandler] = []
        for endpoint in changed {
            let path = FilePath.join(folder, endpoint.library)
            state.withLock { _ = $0.openedLibraries.insert(path) }
            do {
                opened.append(try registry.open(endpoint.id, path: path, version: endpoint.version))
            } catch {
                throw BundleError("cannot load endpoint \(endpoint.id): \(error)")
            }
        }

        // Everything loaded: serve it.
        var outcome = LoadOutcome()
        for handler in opened {
            registry.swapGraceful(to: handler, drainTimeout: drainTimeout)
            if served[handler.endpointID] == nil {
                outcome.added.append(handler.endpointID)
            } else {
                outcome.swapped.append(handler.endpointID)
            }
        }
        let kept = Set(manifest.endpoints.map(\.id))
        for id in served.keys.sorted() where !kept.contains(id) {
            _ = registry.remove(id, drainTimeout: drainTimeout)
            outcome.removed.append(id)
        }
        outcome.unchanged = manifest.endpoints.map(\.id).filter { !changed.map(\.id).contains($0) }
        var endpoints: [String: Served] = [:]
        for endpoint in manifest.endpoints {
            var values = endpoint.env
            for key in values.keys { if let value = getenv(key) { values[key] = String(cString: value) } }
            // ctx.state in the data folder, one store per endpoint for the life of the process.
            let store: StateStore
            do {
                store = try services.stateStore(endpoint: endpoint.id)
            } catch {
                HostLog.err("edge-dev: \(endpoint.id): \(error); its ctx.state is kept in memory only\n")
                store = served[endpoint.id]?.store ?? StateStore()
            }
            endpoints[endpoint.id] = Served(
                version: endpoint.version, hash: endpoint.hash, library: FilePath.join(folder, endpoint.library),
                env: Environment(values), store: store)
        }
        state.withLock { state in
            state.manifest = manifest
            state.folder = folder
            state.routes = routes
            state.endpoints = endpoints
            state.sdkHash = hasher.value
        }
        metrics.swapped(outcome.swapped.count)
        return outcome
    }

    /// The document `/status` answers: dev's `/_edge/status` (`endpoints`, `libraries`, `stats`,
    /// `gateway`) for what production has, and the bundle it serves.
    public var statusJSON: JSONValue {
        let (manifest, folder, endpoints) = state.withLock { ($0.manifest, $0.folder, $0.endpoints) }
        let stats = registry.stats()
        let crashes = metrics.crashCounts()
        return .object([
            (
                "endpoints",
                .array(
                    (manifest?.endpoints ?? []).map { endpoint in
                        let serving = registry.handler(for: endpoint.id)
                        let draining = registry.drainingVersions(of: endpoint.id)
                        return .object([
                            ("id", .string(endpoint.id)),
                            ("state", .string(serving != nil && endpoints[endpoint.id] != nil ? "loaded" : "missing")),
                            ("version", JSONValue(serving?.version)),
                            ("methods", .array(endpoint.methods.map { .string($0) })),
                            ("path", JSONValue(endpoint.paths.first)),
                            ("paths", .array(endpoint.paths.map { .string($0) })),
                            ("activeRequests", JSONValue(serving?.activeRequests ?? 0)),
                            ("drainingVersions", .array(draining.map { JSONValue($0.version) })),
                            ("drainingRequests", JSONValue(draining.reduce(0) { $0 + $1.activeRequests })),
                            ("crashes", JSONValue(crashes[endpoint.id] ?? 0)),
                            ("hash", .string(endpoint.hash)),
                        ])
                    })
            ),
            (
                "libraries",
                .array(
                    (manifest?.modules ?? []).map { module in
                        .object([
                            ("id", .string(module.name)), ("state", "loaded"), ("version", JSONValue(module.version)),
                            ("hash", .string(module.hash)),
                        ])
                    })
            ),
            (
                "stats",
                .object([
                    ("loadedCount", JSONValue(stats.loadedCount)), ("drainingCount", JSONValue(stats.drainingCount)),
                    ("activeRequests", JSONValue(stats.activeRequests)),
                    ("drainingRequests", JSONValue(stats.drainingRequests)),
                ])
            ),
            ("gateway", .object([("pid", JSONValue(Int(getpid()))), ("restarts", 0)])),
            ("mode", "production"),
            ("bundle", .string(folder)),
            ("toolchain", JSONValue(manifest?.toolchain)),
            ("ready", .bool(manifest != nil)),
        ])
    }
}
