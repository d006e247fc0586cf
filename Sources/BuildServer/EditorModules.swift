import EdgeSystem
import HandlerBuild

/// The editor's builds of the shared modules: an endpoint that imports `Validation` type-checks
/// against a built `Validation.swiftmodule`, so the build server builds each module (into
/// `.edge/editor`, never into the folders a running `serve` has loaded) when it starts and
/// after each edit of it, and reuses a build an earlier session left for the same sources.
actor EditorModules {
    private let workspace: EditorWorkspace
    /// Modules that failed with their current sources: not tried again until they change.
    private var failed: Set<String> = []
    private var started = false

    init(workspace: EditorWorkspace) {
        self.workspace = workspace
    }

    /// Builds the modules in `changed` (every module at the first call), and every module that
    /// imports one whose build changed, dependencies first. Returns what each build said, for
    /// the log.
    func refresh(changed: Set<String>) async -> [BuildResult] {
        let project = workspace.project
        let compiler = workspace.compiler
        let graph = LibraryGraph.scan(project)
        let blocked = graph.blockedByCycles().blocked
        let order = graph.removing(blocked).buildOrder() ?? []
        var libraries = workspace.libraries.filter { graph.libraryImports[$0.key] != nil }
        failed.subtract(changed)
        let all = !started
        started = true
        var rebuilt: Set<String> = []
        var results: [BuildResult] = []
        for name in order {
            let imports = graph.libraryImports[name] ?? []
            let due =
                all || changed.contains(name) || !imports.isDisjoint(with: rebuilt)
                || (libraries[name] == nil && !failed.contains(name))
            guard due else { continue }
            let dependencies = graph.closure(of: imports).compactMap { libraries[$0] }
            let previous = libraries[name]
            let (result, artifact) = await compiler.buildLibrary(name, dependencies: dependencies)
            results.append(result)
            guard let artifact else {
                if result.status == .failed { failed.insert(name) }
                continue
            }
            failed.remove(name)
            if artifact != previous {
                libraries[name] = artifact
                rebuilt.insert(name)
                removeOlderBuilds(of: name, keeping: [artifact.version, previous?.version].compactMap { $0 })
            }
        }
        workspace.update(libraries: libraries)
        return results
    }

    /// A module's builds other than the newest two: sourcekit-lsp may still read the one it was
    /// told before this build until it has asked again; nothing older is anyone's.
    private func removeOlderBuilds(of name: String, keeping versions: [Int]) {
        let folder = FilePath.join(workspace.compiler.project.libraryBuildRoot, name)
        for entry in FilePath.contents(of: folder) {
            guard let version = Int(entry), !versions.contains(version) else { continue }
            FilePath.removeTree(FilePath.join(folder, entry))
        }
    }
}
