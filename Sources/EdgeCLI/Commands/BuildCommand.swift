import EdgeSystem
import Glibc
import HandlerBuild
import HandlerRuntime
import Synchronization

/// `edge-dev build`: compiles every endpoint once, like CI would.
public enum BuildCommand {
    public static let spec = CommandSpec(
        name: "build",
        abstract: "Compile every endpoint under the handlers folder and report each result.",
        options: [CommonOptions.handlers, CommonOptions.release, CommonOptions.buildTimeout])

    /// Exit status: 0 when every endpoint built and loaded, 1 otherwise.
    public static func run(_ arguments: ParsedArguments) async -> Int32 {
        let style = TerminalStyle(fd: 1)
        guard let project = arguments.existingProject() else { return 1 }
        if let warning = project.skippedFoldersWarning() { HostLog.err(style.yellow("warning") + ": \(warning)\n") }
        EditorSetup.updateBuildServerFile(project)
        let ids = project.endpointIDs()
        guard !ids.isEmpty else {
            HostLog.err("error: no endpoints in \(project.handlersDirectory) (expected <id>/src/*.swift)\n")
            return 1
        }
        let compiler: HandlerCompiler
        do {
            compiler = try HandlerCompiler(
                project: project, mode: arguments[CommonOptions.release] ? .release : .debug,
                buildTimeout: arguments[CommonOptions.buildTimeout])
        } catch {
            HostLog.err("error: \(error)\n")
            return 1
        }
        let registry = HandlerRegistry(buildRoot: project.buildRoot)
        let graph = LibraryGraph.scan(project)
        let width = (ids + graph.libraryImports.keys.map { "_lib/" + $0 }).map(\.count).max() ?? 0

        // On a terminal, one updating line under the results: `building 12/40...`.
        let progress = BuildProgress(total: ids.count + graph.libraryImports.count, interactive: isatty(1) == 1)

        // Shared modules first, in import order: the endpoints compile against them.
        var libraries: [String: LibraryArtifact] = [:]
        var libraryFailures = 0
        if let cycle = graph.cycle() {
            HostLog.err(
                style.red("error") + ": import cycle between shared modules: \(cycle.joined(separator: " → "))\n")
            libraryFailures += 1
        }
        for name in graph.buildOrder() ?? [] {
            let dependencies = graph.closure(of: graph.libraryImports[name] ?? []).compactMap { libraries[$0] }
            let (result, artifact) = await compiler.buildLibrary(name, dependencies: dependencies)
            var text = result.diagnostics.map { DiagnosticPrinter.format($0, style: style) }.joined()
            let summary: String
            if let artifact {
                libraries[name] = artifact
                let word = result.status == .unchanged ? "reused" : "built"
                summary = style.green(word.padding(to: 6)) + "  v\(artifact.version)"
            } else {
                libraryFailures += 1
                let count = result.errors.count
                summary = style.red("failed") + " (\(count) error\(count == 1 ? "" : "s"))"
            }
            let time = Int(result.durationMilliseconds.rounded())
            text += "  \("_lib/\(name)".padding(to: width + 2))\(summary)  \(style.dim("\(time) ms"))\n"
            progress.report(text)
        }
        let librariesFor: @Sendable (String) -> [LibraryArtifact] = { [libraries] id in
            graph.libraries(forEndpoint: id).compactMap { libraries[$0] }
        }

        let failures = await withTaskGroup(of: Bool.self) { group in
            for id in ids {
                group.addTask {
                    let result = await compiler.build(id, libraries: librariesFor(id))
                    var text = ""
                    for diagnostic in result.diagnostics {
                        text += DiagnosticPrinter.format(diagnostic, style: style)
                    }
                    var ok = result.succeeded
                    var summary = ""
                    if ok, let path = result.libraryPath {
                        do {
                            try registry.load(id, from: path, version: result.version)
                            // An earlier run's library from the same sources counts as built.
                            let word = result.status == .unchanged ? "reused" : "built"
                            summary = style.green(word.padding(to: 6)) + "  v\(result.version ?? 0)"
                        } catch {
                            ok = false
                            text += style.red("error") + ": \(error)\n"
                            summary = style.red("failed") + " (load)"
                        }
                    } else {
                        let count = result.errors.count
                        summary = style.red("failed") + " (\(count) error\(count == 1 ? "" : "s"))"
                    }
                    let time = Int(result.durationMilliseconds.rounded())
                    text += "  \(id.padding(to: width + 2))\(summary)  \(style.dim("\(time) ms"))\n"
                    progress.report(text)
                    return ok
                }
            }
            var failures = 0
            for await ok in group where !ok { failures += 1 }
            return failures
        }
        progress.finish()
        let built = ids.count - failures
        let modules =
            libraries.isEmpty && libraryFailures == 0
            ? "" : " (and \(libraries.count) of \(libraries.count + libraryFailures) shared modules)"
        HostLog.out("\(built) built, \(failures) failed\(modules)\n")
        return failures == 0 && libraryFailures == 0 ? 0 : 1
    }
}

/// The results of a build as they come, with one updating `building 12/40...` line below them
/// on a terminal (none when output is a file or a pipe).
final class BuildProgress: Sendable {
    private let total: Int
    private let interactive: Bool
    private let done = Mutex(0)

    init(total: Int, interactive: Bool) {
        self.total = total
        self.interactive = interactive
        if interactive { HostLog.out("building 0/\(total)...") }
    }

    /// Prints one finished build's lines, then the progress line again.
    func report(_ text: String) {
        let count = done.withLock { done -> Int in
            done += 1
            return done
        }
        HostLog.out(interactive ? "\r\u{1B}[K" + text + "building \(count)/\(total)..." : text)
    }

    func finish() {
        if interactive { HostLog.out("\r\u{1B}[K") }
    }
}
