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

    public init() {}

    /// Adds a subscriber; returns its id for `unsubscribe`.
    @discardableResult
    public func subscribe(_ subscriber: @escaping Subscriber) -> Int {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        subscribers.withLock { $0[id] = subscriber }
        return id
    }

    public func unsubscribe(_ id: Int) {
        _ = subscribers.withLock { $0.removeValue(forKey: id) }
    }

    /// True while someone listens (the dashboard): work for an event can be skipped otherwise.
    public var hasSubscribers: Bool { !subscribers.withLock { $0.isEmpty } }

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
