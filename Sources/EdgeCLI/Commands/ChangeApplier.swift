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
    /// Per key: the last change that is not only a rebuild (later changes wait for it), and the
    /// rebuilds started since (which a later structural change waits for too).
    private struct Tail {
        var barrier: Task<Void, Never>?
        /// By number; each removes itself when done, so a long run of saves keeps none.
        var rebuilds: [Int: Task<Void, Never>] = [:]
    }

    private let devServer: DevServer
    private let tails = Mutex<[String: Tail]>([:])
    private let counter = Mutex(0)

    init(devServer: DevServer) { self.devServer = devServer }

    func apply(_ changes: [EndpointChange]) {
        // Configuration and each module have their own queue: a `.env` save never waits for builds.
        let key: String
        switch changes.first {
        case .configurationChanged?: key = "/configuration"
        case .libraryChanged(let name)?: key = "_lib/" + name
        case .migrationsChanged(let name)?: key = "_migrations/" + name
        default: key = changes.first?.endpointID ?? ""
        }
        let devServer = self.devServer
        let rebuildsOnly = changes.allSatisfy {
            if case .sourcesChanged = $0 { return true }
            return false
        }
        tails.withLock { tails in
            let tail = tails[key] ?? Tail()
            let waitFor = [tail.barrier].compactMap { $0 } + (rebuildsOnly ? [] : Array(tail.rebuilds.values))
            let number = counter.withLock { count -> Int in
                count += 1
                return count
            }
            let task = Task {
                defer { if rebuildsOnly { self.finished(number, key) } }
                for earlier in waitFor { await earlier.value }
                for change in changes {
                    switch change {
                    case .rescan: await devServer.rescan()
                    case .configurationChanged: devServer.reloadConfiguration()
                    case .libraryChanged(let name): await devServer.libraryChanged(name)
                    case .migrationsChanged(let name): devServer.migrate(name)
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
            if rebuildsOnly {
                tails[key, default: Tail()].rebuilds[number] = task
            } else {
                tails[key] = Tail(barrier: task, rebuilds: [:])
            }
        }
    }

    private func finished(_ number: Int, _ key: String) {
        tails.withLock { _ = $0[key]?.rebuilds.removeValue(forKey: number) }
    }
}
