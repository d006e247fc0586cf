import Gateway
import Synchronization
import Watcher

/// Applies the watcher's changes to the dev server: each endpoint's changes strictly in the order
/// they were seen (a removal and a re-creation must not swap places), different endpoints in
/// parallel.
final class ChangeApplier: Sendable {
    private let devServer: DevServer
    private let tails = Mutex<[String: Task<Void, Never>]>([:])

    init(devServer: DevServer) { self.devServer = devServer }

    func apply(_ changes: [EndpointChange]) {
        let key = changes.first?.endpointID ?? ""
        let devServer = self.devServer
        tails.withLock { tails in
            let previous = tails[key]
            tails[key] = Task {
                await previous?.value
                for change in changes {
                    switch change {
                    case .rescan: await devServer.rescan()
                    case .removed(let id): devServer.endpointRemoved(id)
                    case .added(let id): await devServer.endpointAdded(id)
                    case .manifestChanged(let id): devServer.manifestChanged(id)
                    case .sourcesChanged(let id): await devServer.rebuild(id)
                    }
                }
            }
        }
    }
}
