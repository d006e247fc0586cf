import EdgeSystem
import Gateway
import Glibc
import HandlerBuild
import Synchronization

/// Prints dev server events, one line each.
///
/// During start-up the first builds are not announced one by one: the start-up summary lists
/// them. Compile errors are printed once per failed build, grouped under their endpoint.
final class EventPrinter: Sendable {
    let style: TerminalStyle
    private let starting = Atomic<Bool>(true)
    /// On a terminal, the first builds show one updating line (`building 12/40...`).
    private let interactive: Bool
    private let progress = Mutex<(done: Int, total: Int)>((0, 0))

    init(style: TerminalStyle, interactive: Bool = isatty(1) == 1) {
        self.style = style
        self.interactive = interactive
    }

    /// The first builds begin: `total` endpoints and shared modules.
    func startupBegins(endpoints: Int, modules: Int) {
        progress.withLock { $0 = (0, endpoints + modules) }
        let modulesText = modules == 0 ? "" : " and \(modules) shared module\(modules == 1 ? "" : "s")"
        if interactive {
            HostLog.out("building 0/\(endpoints + modules)...")
        } else if endpoints + modules > 0 {
            HostLog.line("building \(endpoints) endpoint\(endpoints == 1 ? "" : "s")\(modulesText)...")
        }
    }

    private func advance() {
        guard interactive, starting.load(ordering: .acquiring) else { return }
        let (done, total) = progress.withLock { state -> (Int, Int) in
            state.done += 1
            return (state.done, state.total)
        }
        HostLog.out("\r\u{1B}[Kbuilding \(min(done, total))/\(total)...")
    }

    /// The first builds are done: the progress line goes (before the start-up summary).
    func progressFinished() {
        if interactive { HostLog.out("\r\u{1B}[K") }
    }

    /// From now on every event gets its line.
    func startupFinished() { starting.store(false, ordering: .releasing) }

    func print(_ event: DevEvent) {
        if starting.load(ordering: .acquiring) {
            switch event {
            case .buildSucceeded, .buildFailed, .libraryBuilt, .libraryFailed: advance()
            default: break
            }
            if interactive, case .buildFailed = event { HostLog.out("\r\u{1B}[K") }
            if interactive, case .libraryFailed = event { HostLog.out("\r\u{1B}[K") }
        }
        switch event {
        case .buildStarted, .endpointAdded, .routesChanged:
            return
        case .buildSucceeded(_, _, _, nil) where starting.load(ordering: .acquiring):
            return
        case .buildSucceeded(let id, let version, let milliseconds, let swap):
            let time = "\(Int(milliseconds.rounded())) ms"
            if let swap {
                let draining = swap.draining ? " (\(swap.oldRequestsPending) draining)" : ""
                HostLog.line("\(style.bold(id)): v\(version) built in \(time), \(style.green("swapped"))\(draining)")
            } else {
                HostLog.line("\(style.bold(id)): v\(version) built in \(time), \(style.green("serving"))")
            }
        case .buildFailed(let id, let diagnostics, _, let serving):
            // The frontend can report one error twice (once per file it appears in): once here.
            var seen = Set<String>()
            var text = ""
            for diagnostic in diagnostics where seen.insert(diagnostic.formatted).inserted {
                text += DiagnosticPrinter.format(diagnostic, style: style)
            }
            let errors = diagnostics.filter { $0.severity == .error }.count
            let fallback = serving.map { "v\($0) keeps serving" } ?? "no version serving"
            text +=
                "\(style.bold(id)): \(style.red("build failed")) (\(errors) error\(errors == 1 ? "" : "s")); \(fallback)\n"
            HostLog.out(text)
        case .routeError(let id, let error):
            HostLog.out(
                DiagnosticPrinter.format(error.diagnostic, style: style)
                    + "\(style.bold(id)): \(style.red("not routed"))\n")
        case .endpointRemoved(let id):
            HostLog.line("\(style.bold(id)): removed")
        case .retired(_, _, .idle):
            return
        case .retired(let id, let version, let reason):
            HostLog.line(
                style.dim("\(id): v\(version) retired (\(reason == .timedOut ? "drain timeout" : reason.rawValue))"))
        case .handlerLog(let line):
            HostLog.err(line + "\n")
        case .crashed(let id, let version, let crash, let location):
            let place = location.map { " at \($0)" } ?? ""
            HostLog.err(
                "\(style.bold(id)): v\(version) \(style.red("crashed"))\(place): \(crash.summary); "
                    + "the request got a 500, the server keeps serving\n")
        case .libraryBuilt(let name, let version, let milliseconds, let dependents):
            if starting.load(ordering: .acquiring) { return }
            let rebuilding =
                dependents.isEmpty
                ? "no endpoint imports it"
                : "rebuilding \(dependents.count) dependent\(dependents.count == 1 ? "" : "s"): \(dependents.joined(separator: ", "))"
            HostLog.line("\(style.bold(name)): v\(version) built in \(Int(milliseconds.rounded())) ms; \(rebuilding)")
        case .libraryFailed(let name, let diagnostics, _, let serving, let dependents):
            var text = ""
            for diagnostic in diagnostics { text += DiagnosticPrinter.format(diagnostic, style: style) }
            let kept =
                dependents.isEmpty
                ? ""
                : "; \(dependents.joined(separator: ", ")) keep\(dependents.count == 1 ? "s" : "") serving"
                    + (serving.map { " (on v\($0))" } ?? "")
            text += "\(style.bold(name)): \(style.red("build failed"))\(kept)\n"
            HostLog.out(text)
        case .configurationChanged(let files, let added, let changed, let removed):
            var parts: [String] = []
            if !added.isEmpty { parts.append("added " + added.joined(separator: ", ")) }
            if !changed.isEmpty { parts.append("changed " + changed.joined(separator: ", ")) }
            if !removed.isEmpty { parts.append("removed " + removed.joined(separator: ", ")) }
            let what = parts.isEmpty ? "no key changed" : parts.joined(separator: "; ")
            let from = files.isEmpty ? "no .env file" : files.joined(separator: ", ")
            HostLog.line("\(style.bold("configuration")): \(from) applied to the next requests (\(what))")
        case .request:
            break  // the access log says it
        case .examplesRan(let id, let version, let passed, let total, let failure, let milliseconds):
            if let failure {
                HostLog.err(
                    "\(style.bold(id)) v\(version): \(style.red("\(passed)/\(total) examples pass")): \(failure)\n")
            } else {
                HostLog.line(
                    "\(style.bold(id)) v\(version): \(style.green("\(passed)/\(total) examples pass")) (\(Int(milliseconds)) ms)"
                )
            }
        case .migrationsApplied(let database, let names):
            HostLog.line("database \(style.bold(database)): applied \(names.joined(separator: ", "))")
        case .migrationFailed(let database, let file, let line, let message):
            HostLog.err(
                "\(file)\(line.map { ":\($0)" } ?? ""): \(style.red("error")): \(message); database \(database) "
                    + "stays at its previous migration\n")
        case .configurationFailed(let file, let line, let message):
            HostLog.err(
                "\(file)\(line.map { ":\($0)" } ?? ""): \(style.red("error")): \(message); "
                    + "the previous configuration stays in force\n")
        case .timedOut(let id, let version, let after):
            HostLog.err(
                "\(style.bold(id)): v\(version) \(style.yellow("timed out")) after \(DevServer.seconds(after)); "
                    + "the request got a 504\n")
        }
    }
}
