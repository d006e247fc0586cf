import EdgeSystem
import HandlerBuild
import Synchronization

/// The project as the editor is told it: its targets, their sources, and each file's compiler
/// arguments, read from disk at each question (so a file saved a moment ago is already in), with
/// the editor's own builds of the shared modules.
///
/// Every answer is computed from the files and the modules built so far, without waiting for a
/// build: sourcekit-lsp waits at most 500 ms for build settings before it falls back to its
/// own (which know no EdgeSDK), so a module still building is reported later, by `changes()`.
public final class EditorWorkspace: Sendable {
    public let project: Project
    public let compiler: HandlerCompiler

    private struct State {
        /// The last good build of each shared module (a module that stops compiling keeps its
        /// last build, so its importers still resolve what it had).
        var libraries: [String: LibraryArtifact] = [:]
        /// Each target's arguments as of the last `changes()` (or the start): what the editor
        /// has been told to ask again for. Answers to the editor do not change it, so a target
        /// whose arguments changed is announced even after one of its files asked anew (its
        /// other open files still hold the old arguments).
        var told: [EditorTarget: [String]] = [:]
        var targets: Set<EditorTarget> = []
    }
    private let state = Mutex(State())

    public init(project: Project, compiler: HandlerCompiler) {
        self.project = project
        self.compiler = compiler
        let graph = LibraryGraph.scan(project)
        let targets = Self.targets(of: project)
        var told: [EditorTarget: [String]] = [:]
        for target in targets { told[target] = arguments(for: target, graph: graph) }
        state.withLock {
            $0.targets = Set(targets)
            $0.told = told
        }
    }

    /// Endpoints (sorted), then shared modules (sorted).
    public func targets() -> [EditorTarget] { Self.targets(of: project) }

    private static func targets(of project: Project) -> [EditorTarget] {
        project.endpointIDs().sorted().map(EditorTarget.endpoint)
            + project.libraryNames().sorted().map(EditorTarget.module)
    }

    /// The shared modules `target` imports, directly or not, dependencies first.
    public func dependencies(of target: EditorTarget, in graph: LibraryGraph) -> [String] {
        switch target {
        case .endpoint(let id): graph.libraries(forEndpoint: id)
        case .module(let name): graph.closure(of: graph.libraryImports[name] ?? [])
        }
    }

    /// The compiler arguments (the compiler itself not included) for `file` in `target`, or nil
    /// when the target is gone. A file not on disk yet (a new, unsaved buffer) is added.
    public func arguments(for target: EditorTarget, file: String? = nil) -> [String]? {
        let graph = LibraryGraph.scan(project)
        guard var arguments = arguments(for: target, graph: graph) else { return nil }
        if let file, file.hasSuffix(".swift"), !arguments.contains(file) { arguments.append(file) }
        return arguments
    }

    private func arguments(for target: EditorTarget, graph: LibraryGraph) -> [String]? {
        let libraries = state.withLock { $0.libraries }
        let needed = dependencies(of: target, in: graph).compactMap { libraries[$0] }
        switch target {
        case .endpoint(let id):
            guard FilePath.isDirectory(project.sourceDirectory(id)) else { return nil }
            return compiler.editorArguments(forEndpoint: id, libraries: needed)
        case .module(let name):
            guard FilePath.isDirectory(project.libraryDirectory(name)) else { return nil }
            return compiler.editorArguments(forLibrary: name, dependencies: needed)
        }
    }

    /// The target that `path` belongs to: the endpoint or module whose source folder holds it.
    public func target(containing path: String) -> EditorTarget? {
        targets().first { path.hasPrefix($0.sourceDirectory(in: project) + "/") }
    }

    /// The modules built so far.
    public var libraries: [String: LibraryArtifact] { state.withLock { $0.libraries } }

    /// Records new module builds, and forgets modules that are gone.
    public func update(libraries: [String: LibraryArtifact]) {
        state.withLock { $0.libraries = libraries }
    }

    /// What changed since the last call (or question): nil when targets came or went (the
    /// editor must ask for them all again), else the targets whose arguments differ now.
    public func changes() -> [EditorTarget]? {
        let graph = LibraryGraph.scan(project)
        let targets = Self.targets(of: project)
        var now: [EditorTarget: [String]] = [:]
        for target in targets { now[target] = arguments(for: target, graph: graph) }
        return state.withLock { state in
            defer {
                state.told = now
                state.targets = Set(targets)
            }
            guard Set(targets) == state.targets else { return nil }
            return targets.filter { state.told[$0] != now[$0] }
        }
    }
}
