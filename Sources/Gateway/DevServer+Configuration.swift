import EdgeSDK
import EdgeSystem

/// `.env` and `.env.local`: read at start and on every save, applied to the next request of every
/// endpoint with no rebuild. A malformed file changes nothing; values are never reported.
extension DevServer {
    /// Reads the configuration files again and applies them; says which keys changed, or what is
    /// wrong (the previous configuration then stays in force).
    public func reloadConfiguration(quietly: Bool = false) {
        let loaded: ProjectConfiguration
        do {
            loaded = try ProjectConfiguration.load(project)
        } catch {
            state.withLock { $0.configurationError = error }
            report(
                .configurationFailed(file: error.file, line: error.line > 0 ? error.line : nil, message: error.message))
            return
        }
        let changes = state.withLock { state -> (added: [String], changed: [String], removed: [String]) in
            let changes = state.configuration.changes(to: loaded)
            state.configuration = loaded
            state.configurationError = nil
            for id in state.records.keys { Self.refreshEnvironment(id, in: &state) }
            return changes
        }
        if !quietly {
            report(
                .configurationChanged(
                    files: loaded.files, added: changes.added, changed: changes.changed, removed: changes.removed))
        }
    }

    /// Makes `id`'s environment again from its manifest and the configuration, and what a request
    /// routed to it reads (with the state lock held).
    static func refreshEnvironment(_ id: String, in state: inout State) {
        guard let record = state.records[id] else { return }
        let env = state.configuration.environment(defaults: record.manifest?.env ?? [:])
        state.records[id]?.env = env
        state.routed[id] = Endpoint(
            store: record.store, liveReload: record.manifest?.liveReload != false, firstBuild: record.firstBuild,
            env: env)
    }
}
