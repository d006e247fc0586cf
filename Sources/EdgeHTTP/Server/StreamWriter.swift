import Synchronization

/// Writes the rest of a streaming response (`Reply.stream`) from any thread.
///
/// Writes are handed to the connection's loop thread; after the client goes away they are
/// dropped and `write` says so, so a publisher can forget this writer.
public final class StreamWriter: Sendable {
    private let loop: EventLoop
    private let connection: Connection
    private let open = Atomic<Bool>(true)
    private let closeActions = Mutex<[@Sendable () -> Void]>([])

    init(loop: EventLoop, connection: Connection) {
        self.loop = loop
        self.connection = connection
    }

    public var isOpen: Bool { open.load(ordering: .acquiring) }

    /// Queues `text` for the client; false once the stream is closed.
    @discardableResult
    public func write(_ text: String) -> Bool {
        guard isOpen else { return false }
        let connection = self.connection
        loop.onLoopThread { connection.streamWrite(Array(text.utf8)) }
        return true
    }

    /// Runs `action` once the stream has closed, from whichever side.
    public func onClose(_ action: @escaping @Sendable () -> Void) {
        let runNow = closeActions.withLock { actions -> Bool in
            guard isOpen else { return true }
            actions.append(action)
            return false
        }
        if runNow { action() }
    }

    /// Called by the connection when it closes.
    func markClosed() {
        guard open.exchange(false, ordering: .acquiringAndReleasing) else { return }
        for action in closeActions.withLock({ actions in
            defer { actions = [] }; return actions
        }) { action() }
    }
}
