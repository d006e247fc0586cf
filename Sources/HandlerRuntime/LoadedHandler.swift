import EdgeSDK
import EdgeSystem
import Synchronization

/// One loaded version of an endpoint's handler library.
///
/// It counts the requests running on it and knows whether it is draining, which is all a
/// graceful swap needs: once draining, it takes no new requests, and it is retired when the count
/// reaches zero or the drain timeout passes.
public final class LoadedHandler: Sendable {
    public let endpointID: String
    public let version: Int
    public let libraryPath: String
    /// `hello v3`: how logs name this version (made once, not per request).
    public let tag: String
    let entry: HandlerEntry
    /// Where this endpoint's requests in flight are also counted for the supervisor, if anywhere.
    let sharedSlot: (table: SharedCounters, slot: Int)?

    private let active = Atomic<Int>(0)
    private let drainingFlag = Atomic<Bool>(false)

    init(
        endpointID: String, version: Int, libraryPath: String, entry: HandlerEntry,
        sharedSlot: (table: SharedCounters, slot: Int)? = nil
    ) {
        self.sharedSlot = sharedSlot
        self.endpointID = endpointID
        self.version = version
        self.tag = "\(endpointID) v\(version)"
        self.libraryPath = libraryPath
        self.entry = entry
    }

    /// Requests now running on this version.
    public var activeRequests: Int { active.load(ordering: .sequentiallyConsistent) }

    public var isDraining: Bool { drainingFlag.load(ordering: .sequentiallyConsistent) }

    public enum DrainState: String, Sendable {
        /// Serving; not draining.
        case active
        /// Replaced, with requests still running on it.
        case draining
        /// Replaced, and no request runs on it any more.
        case drained
    }

    public var drainState: DrainState {
        guard isDraining else { return .active }
        return activeRequests > 0 ? .draining : .drained
    }

    /// Counts a request in, or returns nil when this version is draining and takes no new ones.
    ///
    /// The count goes up before the flag is read, and `markDraining` sets the flag before the
    /// count is read (both sequentially consistent): so either this request sees the flag and
    /// backs out, or the drain sees this request.
    public func acquireRequest() -> RequestGuard? {
        active.wrappingAdd(1, ordering: .sequentiallyConsistent)
        if drainingFlag.load(ordering: .sequentiallyConsistent) {
            active.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            return nil
        }
        if let sharedSlot { sharedSlot.table.add(sharedSlot.slot, 1) }
        return RequestGuard(handler: self)
    }

    /// Counts a request in whether or not this version drains: for replaying a recorded request
    /// on an old version, which stays callable since its library is never unloaded.
    public func acquireForReplay() -> RequestGuard {
        active.wrappingAdd(1, ordering: .sequentiallyConsistent)
        if let sharedSlot { sharedSlot.table.add(sharedSlot.slot, 1) }
        return RequestGuard(handler: self)
    }

    func release() {
        active.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        if let sharedSlot { sharedSlot.table.add(sharedSlot.slot, -1) }
    }

    /// Stops taking new requests; returns the requests still running.
    @discardableResult
    func markDraining() -> Int {
        drainingFlag.store(true, ordering: .sequentiallyConsistent)
        return activeRequests
    }

    /// Calls the handler directly: no serialization, no IPC. Only the registry's `execute` calls
    /// it, so every call is counted on a request guard.
    nonisolated(nonsending) func call(_ request: Request, context: Context) async -> Response {
        await entry.respond(to: request, context: context)
    }
}

/// Proof that a request is counted on a `LoadedHandler`. Releasing it (or dropping it) counts the
/// request out, exactly once.
public final class RequestGuard: Sendable {
    public let handler: LoadedHandler
    private let released = Atomic<Bool>(false)

    init(handler: LoadedHandler) {
        self.handler = handler
    }

    /// Counts the request out. Later calls do nothing.
    public func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) {
            handler.release()
        }
    }

    deinit { release() }
}
