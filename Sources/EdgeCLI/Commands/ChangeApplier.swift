import EdgeSystem
import Gateway
import HandlerBuild
import Synchronization
import Watcher

/// Applies the watcher's changes to the dev server: each endpoint's changes strictly in the order
/// they were seen (a removal and a re-creation must not swap places), different endpoints in
/// parallel. A save that only changes sources does not wait for the endpoint's build in progress:
/// it starts at once, and the compiler stops the older build (a build whose type-checking takes
/// minutes must not hold the fix that follows it).
final class ChangeApplier: Sendable {
    private struct Tail {
        var task: Task<Void, Never>
        /// Only rebuilds: a newer rebuild supersedes it instead of waiting for it.
        var rebuildsOnly: Bool
    }

    private let devServer: DevServer
    private let tails = Mutex<[String: Tail]>([:])

    init(devServer: DevServer) { self.devServer = devServer }

    func apply(_ changes: [EndpointChange]) {
        let key = changes.first?.endpointID ?? ""
        let devServer = self.devServer
        let rebuildsOnly = changes.allSatisfy {
            if case .sourcesChanged = $0 { return true }
            return false
        }
        tails.withLock { tails in
            let previous = tails[key]
            let waitFor = rebuildsOnly && previous?.rebuildsOnly == true ? nil : previous?.task
            let task = Task {
                await waitFor?.value
                for change in changes {
                    switch change {
                    case .rescan: await devServer.rescan()
                    case .configurationChanged: devServer.reloadConfiguration()
                    case .libraryChanged(let name): await devServer.libraryChanged(name)
                    case .removed(let id): devServer.endpointRemoved(id)
                    case .added(let id):
                        if !Project.isValidEndpointID(id) {
                            HostLog.err(
                                "warning: skipping \(devServer.project.displayPath(devServer.project.endpointDirectory(id))): "
                                    + "its name is not an endpoint id (\(Project.endpointIDRule))\n")
                        }
                        await devServer.endpointAdded(id)
                    case .manifestChanged(let id): devServer.manifestChanged(id)
                    case .sourcesChanged(let id): await devServer.rebuild(id)
                    }
                }
            }
            tails[key] = Tail(task: task, rebuildsOnly: rebuildsOnly)
        }
    }
}
