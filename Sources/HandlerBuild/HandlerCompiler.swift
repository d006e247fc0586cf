import EdgeSDK
import EdgeSystem
import Glibc
import HandlerRuntime
import Synchronization

/// Builds one endpoint's sources into a fresh `libhandler_<id>.so`.
///
/// It drives `swift-frontend` and `ld.lld` directly (and reads the object's autolink entries
/// itself) rather than
/// `swiftc` or `swift build`: the driver costs a third of a small handler's build time
/// (docs/architecture.md, "Compile latency"). Each version goes to its own folder because `dlopen`
/// returns the old code for a path it has already opened.
public actor HandlerCompiler {
    public nonisolated let project: Project
    public nonisolated let toolchain: Toolchain
    public nonisolated let sdk: SDKLocation
    public nonisolated let mode: BuildMode

    let limiter: AsyncSemaphore
    /// Prespawned compilers and linkers for the next builds; off with `EDGE_PRESPAWN=0`.
    nonisolated let tools: ToolPool?
    /// How many frontend processes an endpoint's build runs at once, when it builds alone.
    nonisolated let frontendJobCount: Int
    /// Endpoint and module builds running now.
    nonisolated let running = RunningBuilds()
    /// The libraries' run paths when not the toolchain's, the SDK's and the modules' folders: a
    /// bundle's are relative to `$ORIGIN`, so the folder can be copied anywhere.
    public nonisolated let runPaths: [String]?
    private var endpoints: [String: EndpointBuilds] = [:]
    private var warmUpTask: Task<Double, Never>?
    private var linkerTask: Task<LinkerCommand?, Never>?
    /// Each shared module's highest version built in this process.
    var libraryVersions: [String: Int] = [:]
    /// Modules whose old build folders this process has cleared (once, at its first build).
    var librariesCleaned: Set<String> = []

    private struct EndpointBuilds {
        var generation = 0
        /// The highest request number a caller gave (`build(_:request:)`).
        var request = 0
        var running: Task<BuildResult, Never>?
        var last: BuildResult?
        var nextVersion = 1
        var cleaned = false
    }

    /// A build still running after this is stopped and reported as failed (`--build-timeout`).
    public nonisolated let buildTimeout: Duration
    public static let defaultBuildTimeout: Duration = .seconds(60)
    /// A build that has held a build slot this long gives it up (and runs on beside the others):
    /// ordinary builds here take 0.1 to 1 s, so one endpoint whose type-checking takes minutes
    /// never holds up another endpoint's save for longer than that.
    public static let slowBuildThreshold: Duration = .milliseconds(1500)

    /// `maxConcurrentBuilds` defaults to one more than the cores this process may run on: a
    /// shared module's three dependents on two cores are all live 35 ms sooner when the third
    /// need not wait for a slot (its compile overlaps the others' links and loads).
    public init(
        project: Project, toolchain: Toolchain, sdk: SDKLocation, mode: BuildMode = .debug,
        maxConcurrentBuilds: Int? = nil, buildTimeout: Duration = HandlerCompiler.defaultBuildTimeout,
        runPaths: [String]? = nil, prespawn: Bool = true
    ) {
        self.buildTimeout = buildTimeout
        self.runPaths = runPaths
        self.project = project
        self.toolchain = toolchain
        self.sdk = sdk
        self.mode = mode
        let cores = availableCores()
        let builds = maxConcurrentBuilds ?? cores + 1
        self.limiter = AsyncSemaphore(builds)
        frontendJobCount = Self.frontendJobs(cores: min(builds, cores))
        if !prespawn || getenv("EDGE_PRESPAWN").map({ String(cString: $0) }) == "0" {
            tools = nil
        } else {
            let linker = FilePath.join(FilePath.directory(of: toolchain.clang), "ld.lld")
            // A module's save builds the module, then its dependents side by side, a slot each,
            // before the pool is filled again: enough of each tool for the module and one build
            // per slot (cores + 1), so none of them starts a tool cold (with one frontend more
            // than the frontend jobs and two linkers, one of three dependents' frontends and two
            // of their linkers did). On two cores: 4 frontends and 4 linkers held, about 36 MB;
            // never more than 5 of each (45 MB), however many cores.
            let held = min(max(builds, frontendJobCount) + 1, 5)
            tools = ToolPool(
                capacity: [toolchain.swiftFrontend: held, linker: held], builds: running,
                buildShim: { [toolchain, project] in await PrespawnShim.build(toolchain, project: project) })
        }
    }

    /// Locates the toolchain on PATH and the SDK this process loaded.
    public init(
        project: Project, mode: BuildMode = .debug, buildTimeout: Duration = HandlerCompiler.defaultBuildTimeout
    ) throws {
        self.init(
            project: project, toolchain: try Toolchain.locate(), sdk: try SDKLocation.locate(), mode: mode,
            buildTimeout: buildTimeout)
    }

    // MARK: - Warm-up

    /// Fills the shared module cache by compiling a file that imports EdgeSDK and Foundation, so
    /// the first real build does not pay for it (1.8 s cold against 0.5 s warm for a Foundation
    /// user). Runs once; later calls wait for the first. Returns its duration in milliseconds.
    @discardableResult
    public func warmUp() async -> Double {
        if let warmUpTask { return await warmUpTask.value }
        let task = Task { await self.performWarmUp() }
        warmUpTask = task
        return await task.value
    }

    /// Gets ready for the next save once the start's builds are done: the link line asked of
    /// clang and the tool pool filled. Both happen after a build anyway; a start that reused
    /// every build from the last run built nothing, and its first save paid for both (todos:
    /// 289 ms with its frontends and linker started cold and `clang -###` asked, 225 warm).
    public func prepareForSaves() async {
        _ = await linkerCommand()
        tools?.refill()
    }

    /// How to link without the clang driver, asked of clang once (`LinkerCommand`); nil: link
    /// through clang.
    func linkerCommand() async -> LinkerCommand? {
        if let linkerTask { return await linkerTask.value }
        let toolchain = self.toolchain
        let scratch = FilePath.join(project.edgeDirectory, "tmp")
        let task = Task { await LinkerCommand.discover(toolchain, scratch: scratch) }
        linkerTask = task
        return await task.value
    }

    private nonisolated func performWarmUp() async -> Double {
        let start = MonotonicClock.nanoseconds()
        // Per process: `serve` and the editor's build server warm up side by side.
        let directory = FilePath.join(project.edgeDirectory, "warm-up-\(getpid())")
        try? FilePath.createDirectories(directory)
        try? FilePath.createDirectories(project.moduleCache)
        defer { FilePath.removeTree(directory) }
        let source = FilePath.join(directory, "warm.swift")
        let foundation = "import Foundation\n"
        do {
            try FilePath.write("import EdgeSDK\n\(foundation)", to: source)
            _ = try await Subprocess.run(
                toolchain.swiftFrontend,
                frontendArguments(
                    sources: [source], moduleName: "EdgeWarmUp", output: FilePath.join(directory, "warm.o")),
                outputFile: FilePath.join(directory, "warm.log"),
                environment: ["TMPDIR": directory])
        } catch {
            // A cold cache is slower, not wrong: the first build warms it instead.
        }
        return MonotonicClock.milliseconds(since: start)
    }

    // MARK: - Building

    /// Builds `endpointID` unless its sources are unchanged since the last build (pass `force` to
    /// build anyway). A build already running for the same endpoint is cancelled first: the newest
    /// request always wins, so the endpoint never ends up on stale code.
    ///
    /// `libraries` are the builds of the shared modules the endpoint imports (dependencies
    /// first): it is compiled against them under their stable names and linked to them.
    ///
    /// `request`, when given, numbers the caller's requests in the order it made them: calls can
    /// reach this actor in another order, and a request older than one already seen is superseded
    /// at once (else the older one could cancel the newer and then be dropped by the caller).
    public func build(
        _ endpointID: String, force: Bool = false, libraries: [LibraryArtifact] = [], request: Int? = nil
    ) async -> BuildResult {
        if let request {
            guard request >= endpoints[endpointID]?.request ?? 0 else { return Self.superseded(endpointID) }
            endpoints[endpointID, default: EndpointBuilds()].request = request
        }
        await warmUp()
        if let request, request < endpoints[endpointID]?.request ?? 0 { return Self.superseded(endpointID) }
        var state = endpoints[endpointID, default: EndpointBuilds()]
        state.generation += 1
        let generation = state.generation
        let previous = state.running
        endpoints[endpointID] = state
        if let previous {
            previous.cancel()
            _ = await previous.value
        }
        guard endpoints[endpointID]?.generation == generation else { return Self.superseded(endpointID) }

        let sources = project.sourceFiles(endpointID)
        let hash = sourceHash(endpointID, sources, libraries: libraries)
        if !force, let last = endpoints[endpointID]?.last, last.sourceHash == hash {
            return BuildResult(
                endpointID: endpointID, status: .unchanged, version: last.version,
                libraryPath: last.libraryPath, durationMilliseconds: 0, diagnostics: last.diagnostics,
                rawOutput: last.rawOutput, sourceHash: hash)
        }

        if !endpoints[endpointID]!.cleaned {
            endpoints[endpointID]!.cleaned = true
            let earlier = adoptEarlierBuild(endpointID, hash: hash, reuse: !force)
            endpoints[endpointID]!.nextVersion = earlier.nextVersion
            if let reused = earlier.result {
                endpoints[endpointID]!.last = reused
                return reused
            }
        }
        let version = endpoints[endpointID]!.nextVersion
        let task = Task {
            await self.compileWithPermit(
                endpointID, version: version, sources: sources, hash: hash, libraries: libraries)
        }
        endpoints[endpointID]!.running = task
        let result = await task.value

        if endpoints[endpointID]?.running == task { endpoints[endpointID]!.running = nil }
        switch result.status {
        case .built:
            endpoints[endpointID]!.nextVersion = version + 1
            endpoints[endpointID]!.last = result
        case .failed:
            // Keep the last good library on record for `unchanged`, but remember the failing hash.
            endpoints[endpointID]!.last = result
        case .unchanged, .superseded:
            break
        }
        return result
    }

    static func superseded(_ endpointID: String) -> BuildResult {
        BuildResult(
            endpointID: endpointID, status: .superseded, version: nil, libraryPath: nil, durationMilliseconds: 0,
            diagnostics: [], rawOutput: "", sourceHash: 0)
    }

    /// What an earlier run (another process: a restarted gateway, yesterday's `serve`) left in the
    /// build folder: the newest library built from exactly these sources (the hash covers the
    /// sources, the build mode, the toolchain, the SDK and how edge-dev compiles) is used again
    /// instead of compiled again; every other version folder is removed. Version numbers go on
    /// from the highest one found, so the terminal's `v7` stays `v7` across restarts.
    private func adoptEarlierBuild(_ endpointID: String, hash: UInt64, reuse: Bool)
        -> (result: BuildResult?, nextVersion: Int)
    {
        let start = MonotonicClock.nanoseconds()
        let folder = FilePath.join(project.buildRoot, endpointID)
        let versions = FilePath.contents(of: folder).compactMap { Int($0) }.sorted()
        let nextVersion = (versions.last ?? 0) + 1
        var kept: BuildResult?
        for version in versions.reversed() where reuse && kept == nil {
            let directory = FilePath.join(folder, String(version))
            let library = FilePath.join(directory, HandlerLibrary.fileName(endpointID))
            guard (try? FilePath.readText(FilePath.join(directory, Self.hashFileName))) == String(hash, radix: 16),
                FilePath.isRegularFile(library)
            else { continue }
            let output = (try? FilePath.readText(FilePath.join(directory, Self.outputFileName))) ?? ""
            kept = BuildResult(
                endpointID: endpointID, status: .unchanged, version: version, libraryPath: library,
                durationMilliseconds: MonotonicClock.milliseconds(since: start),
                diagnostics: parseDiagnostics(output, endpointID: endpointID, glue: Self.glueFileName),
                rawOutput: output, sourceHash: hash)
        }
        for version in versions where version != kept?.version {
            FilePath.removeTree(FilePath.join(folder, String(version)))
        }
        return (kept, nextVersion)
    }

    static let hashFileName = "sources.hash"
    static let outputFileName = "build.output"

    nonisolated func sourceHash(_ endpointID: String, _ sources: [String], libraries: [LibraryArtifact] = [])
        -> UInt64
    {
        var hasher = ContentHasher()
        hasher.combine(mode.rawValue)
        hasher.combine(toolchain.swiftFrontend)
        // A toolchain upgraded in place keeps its path.
        if let stamp = FilePath.modification(toolchain.swiftFrontend) {
            hasher.combine("\(stamp.nanoseconds) \(stamp.size)")
        }
        let sdkLibrary = FilePath.join(sdk.libraryDirectory, "libEdgeSDK.so")
        if let stamp = FilePath.modification(sdkLibrary) {
            hasher.combine("\(sdkLibrary) \(stamp.nanoseconds) \(stamp.size)")
        }
        // How this edge-dev compiles: a new release with other flags or glue must not reuse builds.
        hasher.combine(Self.glueSource)
        hasher.combine(
            frontendArguments(sources: [], moduleName: "", output: "", libraries: libraries).joined(separator: " "))
        hasher.combine(linkArguments(objects: [], autolink: "", output: "").joined(separator: " "))
        hasher.combine("linked by ld.lld directly, autolink entries read in-process")
        for source in sources { hasher.combine(file: source, project: project) }
        return hasher.value
    }
}
