import EdgeSDK
import EdgeSystem
import HandlerBuild

/// The project's configuration files, `.env` then `.env.local` over it, in the folder that
/// holds `handlers/`. Never the gateway's own process environment.
struct ProjectConfiguration: Sendable, Equatable {
    static let fileNames = [".env", ".env.local"]

    /// The merged assignments.
    var values: [String: String] = [:]
    /// The files that exist and were read, as the user knows them.
    var files: [String] = []

    /// Reads the files of `project`; a malformed one is an error naming its line.
    static func load(_ project: Project) throws(DotEnv.Failure) -> ProjectConfiguration {
        var configuration = ProjectConfiguration()
        for name in fileNames {
            let path = FilePath.join(project.rootDirectory, name)
            guard FilePath.exists(path) else { continue }
            let text: String
            do {
                text = try FilePath.readText(path)
            } catch {
                throw DotEnv.Failure(file: name, line: 0, message: "cannot read: \(error)")
            }
            configuration.values.merge(try DotEnv.parse(text, file: name)) { _, later in later }
            configuration.files.append(name)
        }
        return configuration
    }

    /// An endpoint's environment: its `endpoint.json` defaults, with these files over them.
    func environment(defaults: [String: String]) -> Environment {
        Environment(defaults.merging(values) { _, file in file })
    }

    /// Which keys `newer` adds, changes and removes against this one (names only).
    func changes(to newer: ProjectConfiguration) -> (added: [String], changed: [String], removed: [String]) {
        let added = newer.values.keys.filter { values[$0] == nil }.sorted()
        let removed = values.keys.filter { newer.values[$0] == nil }.sorted()
        let changed = newer.values.keys.filter { values[$0] != nil && values[$0] != newer.values[$0] }.sorted()
        return (added, changed, removed)
    }
}
