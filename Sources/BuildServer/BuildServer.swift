import EdgeSystem
import Glibc
import HandlerBuild
import Synchronization
import Watcher

/// `edge-dev bsp`: a Build Server Protocol server (2.2, with sourcekit-lsp's extensions) that
/// tells the editor's sourcekit-lsp how edge-dev compiles each endpoint and shared module.
///
/// sourcekit-lsp starts it from `buildServer.json` in the project folder and speaks JSON-RPC on
/// its standard input and output. One target per endpoint and per module; each target's sources
/// are its folder (a directory source, so a new file belongs to it at once); a file's arguments
/// are computed from the files present when it is asked. The server watches the project itself
/// and sends `buildTarget/didChange` when a target's arguments change (a file or an import came
/// or went, a module was rebuilt), or `changes: null` when endpoints or modules came or went.
public final class BuildServer: Sendable {
    public static let bspVersion = "2.2.0"
    public static let version = "1"

    private let channel: MessageChannel
    /// The handlers folder given on the command line; else `handlers/` in the workspace root that
    /// sourcekit-lsp names, else in the working directory.
    private let handlersDirectory: String?

    private struct State {
        var workspace: EditorWorkspace?
        var modules: EditorModules?
        var watcher: ProjectWatcher?
        var updates: AsyncStream<[EndpointChange]>.Continuation?
        /// Change batches received and not yet applied: `waitForBuildSystemUpdates` is answered
        /// when this is back to zero.
        var pending = 0
        var waiting: [JSONValue] = []
        var shutdownRequested = false
        var exitStatus: Int32?
    }
    private let state = Mutex(State())

    public init(channel: MessageChannel = MessageChannel(), handlersDirectory: String? = nil) {
        self.channel = channel
        self.handlersDirectory = handlersDirectory
    }

    /// Serves until `build/exit` or the end of the input; the exit status (0 after an orderly
    /// shutdown or a closed input, 1 for `build/exit` without `build/shutdown`, as in LSP).
    public func run() async -> Int32 {
        do {
            return try await onOwnThread(name: "edge-bsp-input") {
                let failure = self.channel.readMessages { self.receive($0) }
                if let failure { self.log("edge-dev bsp: stopping: \(failure)", type: 1) }
                return self.state.withLock { state -> Int32 in
                    state.watcher?.stop()
                    state.updates?.finish()
                    return state.exitStatus ?? (failure == nil ? 0 : 1)
                }
            }
        } catch {
            HostLog.err("edge-dev bsp: cannot start its input thread: \(error)\n")
            return 1
        }
    }

    // MARK: - Messages

    /// Handles one message on the input thread; false once the server should stop.
    private func receive(_ message: JSONValue) -> Bool {
        guard case .string(let method)? = message["method"] else { return true }  // an answer: we ask nothing
        let params = message["params"] ?? .null
        guard let id = message["id"] else {
            return notification(method, params)
        }
        switch method {
        case "build/initialize":
            initialize(id, params)
        case "workspace/buildTargets":
            channel.reply(to: id, .object([("targets", .array(withWorkspace { buildTargets($0) } ?? []))]))
        case "buildTarget/sources":
            channel.reply(to: id, .object([("items", .array(withWorkspace { sources($0, params) } ?? []))]))
        case "buildTarget/inverseSources":
            channel.reply(to: id, .object([("targets", .array(withWorkspace { inverseSources($0, params) } ?? []))]))
        case "textDocument/sourceKitOptions", "sourcekit/textDocument/sourceKitOptions":
            channel.reply(to: id, withWorkspace { sourceKitOptions($0, params) } ?? .null)
        case "workspace/waitForBuildSystemUpdates", "sourcekit/workspace/waitForBuildSystemUpdates":
            let answerNow = state.withLock { state in
                if state.pending > 0 { state.waiting.append(id) }
                return state.pending == 0
            }
            if answerNow { channel.reply(to: id, .null) }
        case "build/shutdown":
            state.withLock { $0.shutdownRequested = true }
            channel.reply(to: id, .null)
        default:
            channel.reply(to: id, error: -32601, "edge-dev bsp does not handle \(method)")
        }
        return true
    }

    private func notification(_ method: String, _ params: JSONValue) -> Bool {
        switch method {
        case "build/initialized":
            startWatching()
        case "build/exit":
            state.withLock { $0.exitStatus = $0.shutdownRequested ? 0 : 1 }
            return false
        case "workspace/didChangeWatchedFiles":
            // The server's own watcher sees these too, but only after its quiet window: taking
            // them now means a `waitForBuildSystemUpdates` that follows waits for them.
            if let changes = withWorkspace({ Self.changes(params, in: $0.project) }), !changes.isEmpty {
                enqueue(changes)
            }
        default:
            // `$/cancelRequest` (every answer is immediate) and anything newer.
            break
        }
        return true
    }

    /// The changes a `workspace/didChangeWatchedFiles` names, as the watcher would report them.
    static func changes(_ params: JSONValue, in project: Project) -> [EndpointChange] {
        guard case .array(let events)? = params["changes"] else { return [] }
        var changes: Set<EndpointChange> = []
        for event in events {
            guard case .string(let uri)? = event["uri"], let path = FileURI.path(uri),
                path.hasPrefix(project.handlersDirectory + "/")
            else { continue }
            let parts = path.dropFirst(project.handlersDirectory.count + 1).split(separator: "/")
            guard let first = parts.first.map(String.init) else { continue }
            if first == "_lib", parts.count > 1 {
                changes.insert(.libraryChanged(String(parts[1])))
            } else if Project.isValidEndpointID(first), !Project.reservedFolders.contains(first) {
                changes.insert(FilePath.isDirectory(project.sourceDirectory(first)) ? .sourcesChanged(first) : .rescan)
            }
        }
        return Array(changes)
    }

    private func withWorkspace<T>(_ body: (EditorWorkspace) -> T) -> T? {
        state.withLock { $0.workspace }.map(body)
    }

    // MARK: - Lifecycle

    /// This server's folder under `.edge/editor`: `bsp-<pid>`.
    static let session = "bsp-\(getpid())"

    /// Folders of build servers that are no longer running.
    static func removeStaleSessions(_ project: Project) {
        for entry in FilePath.contents(of: project.editorDirectory) where entry.hasPrefix("bsp-") {
            guard let pid = Int32(entry.dropFirst(4)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else {
                continue
            }
            FilePath.removeTree(FilePath.join(project.editorDirectory, entry))
        }
    }

    private func initialize(_ id: JSONValue, _ params: JSONValue) {
        let root: String
        if let handlersDirectory {
            root = handlersDirectory
        } else if case .string(let uri)? = params["rootUri"], let path = FileURI.path(uri) {
            root = FilePath.join(path, "handlers")
        } else {
            root = FilePath.join(FilePath.currentDirectory(), "handlers")
        }
        let project = Project(handlersDirectory: root)
        let compiler: HandlerCompiler
        do {
            Self.removeStaleSessions(project)
            compiler = try HandlerCompiler(project: project.forEditor(session: Self.session))
        } catch {
            channel.reply(to: id, error: -32603, "edge-dev cannot build handlers here: \(error)")
            return
        }
        let workspace = EditorWorkspace(project: project, compiler: compiler)
        state.withLock {
            $0.workspace = workspace
            $0.modules = EditorModules(workspace: workspace)
        }
        let toolchainRoot = FilePath.directory(
            of: FilePath.directory(of: FilePath.directory(of: FilePath.resolvingSymlinks(compiler.toolchain.swiftc))))
        channel.reply(
            to: id,
            .object([
                ("displayName", "edge-dev"), ("version", .string(Self.version)),
                ("bspVersion", .string(Self.bspVersion)),
                ("capabilities", .object([("languageIds", ["swift"]), ("inverseSourcesProvider", true)])),
                ("dataKind", "sourceKit"),
                ("data", .object([("sourceKitOptionsProvider", true)])),
            ]))
        log(
            "edge-dev bsp: \(project.handlersDirectory), compiled with \(compiler.toolchain.swiftc) "
                + "(toolchain \(toolchainRoot))", type: 4)
        if let server = ToolchainCheck.parentLanguageServer() {
            Task {
                let scratch = FilePath.join(project.edgeDirectory, "editor")
                try? FilePath.createDirectories(scratch)
                if let problem = await ToolchainCheck.mismatch(
                    languageServer: server, toolchain: compiler.toolchain, scratch: scratch)
                {
                    self.log("edge-dev bsp: \(problem)", type: 1)
                }
            }
        }
    }

    /// Starts the watcher and the first round of module builds.
    private func startWatching() {
        guard let (workspace, modules) = state.withLock({ state in state.workspace.map { ($0, state.modules!) } })
        else { return }
        let (stream, continuation) = AsyncStream.makeStream(of: [EndpointChange].self)
        state.withLock { $0.updates = continuation }
        // The watches first, then the first scan: a file written in between is seen by both,
        // never by neither.
        do {
            let watcher = try ProjectWatcher(
                handlersDirectory: workspace.project.handlersDirectory,
                onChanges: { [weak self] changes in self?.enqueue(changes) },
                onWarning: { [weak self] warning in self?.log("edge-dev bsp: \(warning)", type: 2) })
            state.withLock { $0.watcher = watcher }
            watcher.start()
        } catch {
            log("edge-dev bsp: not watching \(workspace.project.handlersDirectory): \(error)", type: 2)
        }
        enqueue([.rescan])
        Task { await self.apply(stream, workspace: workspace, modules: modules) }
    }

    private func enqueue(_ changes: [EndpointChange]) {
        state.withLock { state in
            guard let updates = state.updates else { return }
            state.pending += 1
            updates.yield(changes)
        }
    }

    /// Applies change batches in order: rebuilds the modules they touch, then tells the editor
    /// which targets' arguments changed.
    private func apply(
        _ stream: AsyncStream<[EndpointChange]>, workspace: EditorWorkspace, modules: EditorModules
    ) async {
        for await changes in stream {
            var changed: Set<String> = []
            for change in changes {
                switch change {
                case .libraryChanged(let name): changed.insert(name)
                case .rescan: changed.formUnion(workspace.project.libraryNames())
                default: break
                }
            }
            if !changed.isEmpty || changes.contains(.rescan) {
                for result in await modules.refresh(changed: changed) { report(result) }
            }
            if let targets = workspace.changes() {
                if !targets.isEmpty {
                    let events = targets.map { JSONValue.object([("target", target($0)), ("kind", 2)]) }
                    channel.notify("buildTarget/didChange", .object([("changes", .array(events))]))
                }
            } else {
                channel.notify("buildTarget/didChange", .object([("changes", .null)]))
            }
            let answered = state.withLock { state -> [JSONValue] in
                state.pending -= 1
                guard state.pending == 0 else { return [] }
                defer { state.waiting = [] }
                return state.waiting
            }
            for id in answered { channel.reply(to: id, .null) }
        }
    }

    private func report(_ result: BuildResult) {
        switch result.status {
        case .built:
            log("edge-dev bsp: \(result.endpointID) built in \(Int(result.durationMilliseconds)) ms", type: 4)
        case .failed:
            let first = result.diagnostics.prefix(3).map { $0.formatted }.joined(separator: "; ")
            log(
                "edge-dev bsp: \(result.endpointID) does not compile; its importers see its last build: \(first)",
                type: 2)
        case .unchanged, .superseded:
            break
        }
    }

    /// `build/logMessage` (1 error, 2 warning, 3 info, 4 log), and the same line on standard
    /// error, which sourcekit-lsp keeps in its log.
    private func log(_ message: String, type: Int) {
        HostLog.err(message + "\n")
        channel.notify("build/logMessage", .object([("type", JSONValue(type)), ("message", .string(message))]))
    }

    // MARK: - Answers

    private func target(_ target: EditorTarget) -> JSONValue { .object([("uri", .string(target.uri))]) }

    private func buildTargets(_ workspace: EditorWorkspace) -> [JSONValue] {
        let graph = LibraryGraph.scan(workspace.project)
        let toolchainRoot = FilePath.directory(
            of: FilePath.directory(
                of: FilePath.directory(of: FilePath.resolvingSymlinks(workspace.compiler.toolchain.swiftc))))
        return workspace.targets().map { editorTarget in
            let dependencies = workspace.dependencies(of: editorTarget, in: graph).map { target(.module($0)) }
            let isModule = if case .module = editorTarget { true } else { false }
            return .object([
                ("id", target(editorTarget)), ("displayName", .string(editorTarget.displayName)),
                (
                    "baseDirectory",
                    .string(FileURI.from(path: editorTarget.baseDirectory(in: workspace.project), directory: true))
                ),
                ("tags", .array(isModule ? ["library"] : ["application"])), ("languageIds", ["swift"]),
                ("dependencies", .array(dependencies)),
                (
                    "capabilities",
                    .object([("canCompile", true), ("canTest", false), ("canRun", false), ("canDebug", false)])
                ),
                ("dataKind", "sourceKit"),
                ("data", .object([("toolchain", .string(FileURI.from(path: toolchainRoot, directory: true)))])),
            ])
        }
    }

    private func requestedTargets(_ params: JSONValue) -> [EditorTarget] {
        guard case .array(let items)? = params["targets"] else { return [] }
        return items.compactMap { item in
            guard case .string(let uri)? = item["uri"] else { return nil }
            return EditorTarget(uri: uri)
        }
    }

    private func sources(_ workspace: EditorWorkspace, _ params: JSONValue) -> [JSONValue] {
        requestedTargets(params).map { editorTarget in
            let folder = FileURI.from(path: editorTarget.sourceDirectory(in: workspace.project), directory: true)
            return .object([
                ("target", target(editorTarget)),
                (
                    "sources",
                    [
                        .object([
                            ("uri", .string(folder)), ("kind", 2), ("generated", false), ("dataKind", "sourceKit"),
                            ("data", .object([("language", "swift"), ("kind", "source")])),
                        ])
                    ]
                ),
                ("roots", [.string(folder)]),
            ])
        }
    }

    private func inverseSources(_ workspace: EditorWorkspace, _ params: JSONValue) -> [JSONValue] {
        guard case .string(let uri)? = params["textDocument"]?["uri"], let path = FileURI.path(uri),
            let found = workspace.target(containing: path)
        else { return [] }
        return [target(found)]
    }

    private func sourceKitOptions(_ workspace: EditorWorkspace, _ params: JSONValue) -> JSONValue {
        guard case .string(let uri)? = params["textDocument"]?["uri"], let file = FileURI.path(uri) else {
            return .null
        }
        let editorTarget: EditorTarget?
        if case .string(let targetURI)? = params["target"]?["uri"] {
            editorTarget = EditorTarget(uri: targetURI)
        } else {
            editorTarget = workspace.target(containing: file)
        }
        guard let editorTarget, let arguments = workspace.arguments(for: editorTarget, file: file) else {
            return .null
        }
        return .object([
            ("compilerArguments", .array(arguments.map { .string($0) })),
            ("workingDirectory", .string(workspace.project.rootDirectory)),
        ])
    }
}
