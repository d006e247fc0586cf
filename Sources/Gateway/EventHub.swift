import EdgeSystem
import Synchronization

/// Fans dev-server events out to whoever listens (`/_edge/events` clients), each as a
/// Server-Sent Events frame.
///
/// A subscriber is a function that takes a frame and says whether it is still open; one that says
/// no is dropped. Publishing never blocks: frames are handed to the connection's loop to write.
public final class EventHub: Sendable {
    public typealias Subscriber = @Sendable (String) -> Bool

    private let subscribers = Mutex<[Int: Subscriber]>([:])
    private let nextID = Atomic<Int>(0)
    /// How many subscribe; read on every request (no lock), kept in step under the lock.
    private let count = Atomic<Int>(0)

    public init() {}

    /// Adds a subscriber; returns its id for `unsubscribe`.
    @discardableResult
    public func subscribe(_ subscriber: @escaping Subscriber) -> Int {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        subscribers.withLock {
            $0[id] = subscriber
            count.store($0.count, ordering: .releasing)
        }
        return id
    }

    public func unsubscribe(_ id: Int) {
        subscribers.withLock {
            $0.removeValue(forKey: id)
            count.store($0.count, ordering: .releasing)
        }
    }

    /// True while someone listens (the dashboard): work for an event can be skipped otherwise.
    public var hasSubscribers: Bool { count.load(ordering: .acquiring) > 0 }

    public func publish(_ event: DevEvent) {
        let current = subscribers.withLock { $0 }
        guard !current.isEmpty else { return }
        let frames = event.jsonObjects.map(Self.frame).joined()
        for (id, subscriber) in current where !subscriber(frames) { unsubscribe(id) }
    }

    /// One SSE frame: the JSON on one `data:` line (our JSON never contains a newline).
    public static func frame(_ object: JSONValue) -> String {
        "data: \(object.serialized)\n\n"
    }
}
