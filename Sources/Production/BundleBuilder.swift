import EdgeSystem
import Gateway
import Glibc
import HandlerBuild

/// `edge-dev bundle`: release builds of every endpoint and shared module, with everything they
/// load, in one folder that runs anywhere (no toolchain needed there).
///
/// Layout: `bin/edge-dev` (a link to `lib/edge-dev`, so the executable's `$ORIGIN` is `lib/`),
/// `lib/` (edge-dev, libEdgeSDK.so, the shared modules, the Swift runtime libraries they need),
/// `endpoints/<id>/` (the library and its `endpoint.json`), `_migrations/`, `manifest.json`.
/// Endpoint libraries find `lib/` at `$ORIGIN/../../lib`, modules their neighbours at `$ORIGIN`.
public struct BundleBuilder: Sendable {
    public let project: Project
    public let output: String
    let toolchain: Toolchain
    let sdk: SDKLocation

    public init(project: Project, output: String) throws {
        self.project = project
        self.output = FilePath.absolute(output)
        toolchain = try Toolchain.locate()
        sdk = try SDKLocation.locate()
    }

    /// Builds the bundle; `progress` hears one line per step. Throws naming what failed.
    public func build(progress: @Sendable (String) -> Void) async throws(BundleError) -> BundleManifest {
        let graph = LibraryGraph.scan(project)
        guard let order = graph.buildOrder() else {
            throw BundleError("the shared modules import each other in a cycle; `edge-dev build` names it")
        }
        Self.removeAbandoned(in: project.edgeDirectory, prefix: "bundle-build-")
        Self.removeAbandoned(in: FilePath.directory(of: output), prefix: FilePath.lastComponent(output) + ".partial-")
        Self.removeAbandoned(in: FilePath.directory(of: output), prefix: FilePath.lastComponent(output) + ".old-")
        let version = await toolchainVersion()
        let buildRoot = FilePath.join(project.edgeDirectory, "bundle-build-\(getpid())")
        defer { FilePath.removeTree(buildRoot) }
        let building = project.building(into: buildRoot)
        let modules = HandlerCompiler(
            project: building, toolchain: toolchain, sdk: sdk, mode: .release, runPaths: ["$ORIGIN"],
            prespawn: false)
        let endpoints = HandlerCompiler(
            project: building, toolchain: toolchain, sdk: sdk, mode: .release,
            runPaths: ["$ORIGIN/../../lib"], prespawn: false)

        // Modules in dependency order, each named by its content.
        var artifacts: [String: LibraryArtifact] = [:]
        var moduleHashes: [String: UInt64] = [:]
        var builtModules: [BundleManifest.Module] = []
        for name in order {
            let imports = graph.closure(of: graph.libraryImports[name] ?? [])
            var hasher = ContentHasher()
            hasher.combine("module \(name) \(version)")
            for file in project.librarySourceFiles(name) { hasher.combine(file: file, project: project) }
            for dependency in imports.sorted() { hasher.combine(String(moduleHashes[dependency] ?? 0)) }
            let hash = hasher.value
            moduleHashes[name] = hash
            let (result, artifact) = await modules.buildLibrary(
                name, version: Self.version(hash), dependencies: imports.compactMap { artifacts[$0] })
            guard let artifact, result.status == .built else {
                throw BundleError("shared module \(name) did not build:\n\(Self.describe(result))")
            }
            artifacts[name] = artifact
            builtModules.append(
                BundleManifest.Module(
                    name: name, version: artifact.version, hash: Self.hex(hash),
                    library: "lib/" + FilePath.lastComponent(artifact.libraryPath)))
            progress("built module \(name)")
        }

        // Endpoints at once, each named by its content and its modules'.
        let ids = project.endpointIDs()
        let results = await withTaskGroup(of: (String, BuildResult, UInt64).self) { group in
            for id in ids {
                let imports = graph.libraries(forEndpoint: id)
                var hasher = ContentHasher()
                hasher.combine("endpoint \(id) \(version)")
                for file in project.sourceFiles(id) { hasher.combine(file: file, project: project) }
                if FilePath.exists(project.manifestPath(id)) {
                    hasher.combine(file: project.manifestPath(id), project: project)
                }
                for name in imports { hasher.combine("\(name) \(moduleHashes[name] ?? 0)") }
                let hash = hasher.value
                let libraries = imports.compactMap { artifacts[$0] }
                group.addTask {
                    (id, await endpoints.build(id, version: Self.version(hash), libraries: libraries), hash)
                }
            }
            var all: [(String, BuildResult, UInt64)] = []
            for await result in group { all.append(result) }
            return all.sorted { $0.0 < $1.0 }
        }
        let failed = results.filter { $0.1.status != .built }
        guard failed.isEmpty else {
            throw BundleError(
                failed.map { "endpoint \($0.0) did not build:\n\(Self.describe($0.1))" }.joined(separator: "\n"))
        }
        progress("built \(results.count) endpoint\(results.count == 1 ? "" : "s")")

        // The folder: written beside the output and moved into place at the end.
        let partial = output + ".partial-\(getpid())"
        FilePath.removeTree(partial)
        do {
            return try write(
                into: partial, results: results, graph: graph, modules: builtModules, artifacts: artifacts,
                toolchainVersion: version)
        } catch {
            FilePath.removeTree(partial)
            throw error
        }
    }

    private func write(
        into folder: String, results: [(String, BuildResult, UInt64)], graph: LibraryGraph,
        modules: [BundleManifest.Module], artifacts: [String: LibraryArtifact], toolchainVersion: String
    ) throws(BundleError) -> BundleManifest {
        let lib = FilePath.join(folder, "lib")
        var endpoints: [BundleManifest.Endpoint] = []
        do {
            try FilePath.createDirectories(lib)
            try FilePath.createDirectories(FilePath.join(folder, "bin"))
            for (id, result, hash) in results {
                let directory = FilePath.join(FilePath.join(folder, "endpoints"), id)
                try FilePath.createDirectories(directory)
                let library = "endpoints/\(id)/\(FilePath.lastComponent(result.libraryPath!))"
                try copy(result.libraryPath!, to: FilePath.join(folder, library))
                var manifest = EndpointManifest.implicit(id)
                if FilePath.exists(project.manifestPath(id)) {
                    try copy(project.manifestPath(id), to: FilePath.join(directory, "endpoint.json"))
                    manifest = try EndpointManifest.load(id, in: project)
                }
                endpoints.append(
                    BundleManifest.Endpoint(
                        id: id, version: result.version!, hash: Self.hex(hash), library: library,
                        modules: graph.libraries(forEndpoint: id), env: manifest.env, methods: manifest.methodList,
                        paths: manifest.patterns.map(\.description)))
            }
            for module in modules {
                try copy(artifacts[module.name]!.libraryPath, to: FilePath.join(folder, module.library))
            }
            try copy(FilePath.join(sdk.libraryDirectory, "libEdgeSDK.so"), to: FilePath.join(lib, "libEdgeSDK.so"))
            try copy(FilePath.resolvingSymlinks("/proc/self/exe"), to: FilePath.join(lib, "edge-dev"), mode: 0o755)
            guard symlink("../lib/edge-dev", FilePath.join(folder, "bin/edge-dev")) == 0 else {
                throw SystemError.current("symlink bin/edge-dev")
            }
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError("cannot write the bundle: \(error)")
        }
        let runtime = try copyRuntime(into: lib)
        let migrations = try copyMigrations(into: folder)
        let manifest = BundleManifest(
            toolchain: toolchainVersion, endpoints: endpoints, modules: modules, runtime: runtime,
            migrations: migrations)
        do {
            try FilePath.write(manifest.json.serialized + "\n", to: FilePath.join(folder, "manifest.json"))
        } catch {
            throw BundleError("cannot write manifest.json: \(error)")
        }
        // The old bundle (never something else) makes way for the new one: moved aside first,
        // and back if the new one cannot take its place.
        var aside: String?
        if FilePath.exists(output) {
            guard FilePath.exists(FilePath.join(output, "manifest.json")) else {
                throw BundleError("\(output) exists and is not a bundle; choose another -o")
            }
            let old = output + ".old-\(getpid())"
            guard rename(output, old) == 0 else { throw BundleError("cannot move the old bundle \(output) aside") }
            aside = old
        }
        guard rename(folder, output) == 0 else {
            if let aside { rename(aside, output) }
            throw BundleError("cannot move the bundle to \(output)")
        }
        if let aside { FilePath.removeTree(aside) }
        return manifest
    }

    /// The runtime libraries that anything in `lib` (or under `endpoints`) needs and the
    /// toolchain has: the closure, as the loader would follow it.
    private func copyRuntime(into lib: String) throws(BundleError) -> [String] {
        var pending: [String] = FilePath.contents(of: lib).map { FilePath.join(lib, $0) }
        let endpointsFolder = FilePath.join(FilePath.directory(of: lib), "endpoints")
        for id in FilePath.contents(of: endpointsFolder) {
            let folder = FilePath.join(endpointsFolder, id)
            pending += FilePath.contents(of: folder).filter { $0.hasSuffix(".so") }.map { FilePath.join(folder, $0) }
        }
        var copied: Set<String> = []
        while let file = pending.popLast() {
            for name in try SharedObject.needed(file) where !copied.contains(name) {
                let source = FilePath.join(toolchain.runtimeLibraryDirectory, name)
                guard FilePath.exists(source), !FilePath.exists(FilePath.join(lib, name)) else { continue }
                do {
                    try copy(FilePath.resolvingSymlinks(source), to: FilePath.join(lib, name))
                } catch {
                    throw BundleError("cannot copy \(source): \(error)")
                }
                copied.insert(name)
                pending.append(FilePath.join(lib, name))
            }
        }
        return copied.sorted()
    }

    private func copyMigrations(into folder: String) throws(BundleError) -> [String] {
        let root = FilePath.join(project.handlersDirectory, "_migrations")
        var files: [String] = []
        for database in FilePath.contents(of: root) where FilePath.isDirectory(FilePath.join(root, database)) {
            for name in FilePath.contents(of: FilePath.join(root, database)) where name.hasSuffix(".sql") {
                let target = FilePath.join(FilePath.join(FilePath.join(folder, "_migrations"), database), name)
                do {
                    try FilePath.createDirectories(FilePath.directory(of: target))
                    try copy(FilePath.join(FilePath.join(root, database), name), to: target)
                } catch {
                    throw BundleError("cannot copy migration \(database)/\(name): \(error)")
                }
                files.append("\(database)/\(name)")
            }
        }
        return files.sorted()
    }

    private func copy(_ source: String, to target: String, mode: mode_t = 0o644) throws(SystemError) {
        try FilePath.write(try FilePath.readBytes(source), to: target)
        chmod(target, mode)
    }

    private func toolchainVersion() async -> String {
        let scratch = FilePath.join(project.edgeDirectory, "tmp")
        try? FilePath.createDirectories(scratch)
        return await toolchain.versionLine(scratch: scratch) ?? "unknown"
    }

    /// Removes `<prefix><pid>` folders in `folder` whose process is gone (a bundling stopped by
    /// Ctrl-C or a kill leaves its build folder and partial bundle behind).
    static func removeAbandoned(in folder: String, prefix: String) {
        for name in FilePath.contents(of: folder) where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            FilePath.removeTree(FilePath.join(folder, name))
        }
    }

    /// A version number from a content hash: 9 digits, so module names stay short.
    static func version(_ hash: UInt64) -> Int { Int(hash % 900_000_000) + 100_000_000 }

    static func hex(_ hash: UInt64) -> String {
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func describe(_ result: BuildResult) -> String {
        result.diagnostics.filter { $0.severity == .error }.map { "  \($0.formatted)" }.joined(separator: "\n")
    }
}
