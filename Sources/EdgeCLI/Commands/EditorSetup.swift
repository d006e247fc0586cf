import BuildServer
import EdgeSystem
import HandlerBuild

/// Keeps `buildServer.json` in the project folder current, for `serve`, `build`, `new` and
/// `editor`: written when missing or stale, said in one line; a file naming another build
/// server is the user's and is left alone, said once.
enum EditorSetup {
    /// Returns the line to show, or nil when there is nothing to say.
    ///
    /// A project folder that is also a Swift package (it holds `Package.swift`, as this
    /// repository does for `sample-handlers/`) gets none unless `always`: sourcekit-lsp prefers
    /// a build server to SwiftPM, and the package's own sources would lose their editor support.
    @discardableResult
    static func updateBuildServerFile(_ project: Project, announce: Bool = true, always: Bool = false) -> String? {
        let shown = project.displayPath(BuildServerFile.path(in: project))
        guard always || !FilePath.exists(FilePath.join(project.rootDirectory, "Package.swift")) else { return nil }
        let line: String?
        do {
            switch try BuildServerFile.update(project) {
            case .written:
                line = "wrote \(shown): editors that use sourcekit-lsp now understand the handlers"
            case .current:
                line = nil
            case .foreign(let name):
                line = "warning: \(shown) names another build server (\(name)); left alone"
            }
        } catch {
            line = "warning: cannot write \(shown): \(error)"
        }
        if announce, let line { HostLog.line(line) }
        return line
    }
}
