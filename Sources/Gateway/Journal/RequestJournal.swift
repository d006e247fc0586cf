import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Glibc
import Synchronization

/// One request a handler endpoint answered (or crashed or timed out on), as the journal keeps it.
///
/// A class: an entry is made on every request and handed to the journal, its event and
/// whoever reads it, and a struct of thirteen strings and arrays cost thirteen reference counts
/// for every copy (4% of the server's time under load, measured with perf). `id` and the bodies'
/// truncation are set by `RequestJournal.record` under its lock, before any other thread can
/// reach the entry, and never change after: that is why it may be `@unchecked Sendable`.
public final class JournalEntry: @unchecked Sendable {
    /// The journal's own number, growing from 1: `/_edge/requests/<id>`.
    public internal(set) var id = 0
    public let requestID: String
    /// Seconds since the epoch.
    public let time: Int
    public let method: String
    public let target: String
    /// The decoded path and query, for replay.
    public let path: String
    public let queryItems: [QueryItem]
    public let headers: [HTTPHeaders.Field]
    public internal(set) var body: [UInt8]
    /// The body's size as received; `body` holds at most the journal's body limit of it.
    public let bodySize: Int
    public let status: Int
    public let responseHeaders: [HTTPHeaders.Field]
    public internal(set) var responseBody: [UInt8]
    public let responseBodySize: Int
    public let durationMilliseconds: Double
    public let endpoint: String
    public let version: Int
    /// Why there was no answer from the handler: its crash, or its timeout.
    public let failure: String?

    /// The entry for a request answered with `response` (nil: it failed, `failure` says how)
    /// by `endpoint` `version`, started at `started` (monotonic nanoseconds).
    public init(
        _ incoming: IncomingRequest, _ response: Response?, endpoint: String, version: Int, started: UInt64,
        failure: String? = nil
    ) {
        let request = incoming.request
        requestID = request.requestID
        time = Int(Glibc.time(nil))
        method = incoming.wireMethod
        target = incoming.target
        path = request.path
        queryItems = request.queryItems
        headers = request.headers.fields
        body = request.body
        bodySize = request.body.count
        status = response?.status ?? (failure == nil ? 0 : 500)
        responseHeaders = response?.headers.fields ?? []
        responseBody = response?.body ?? []
        responseBodySize = response?.body.count ?? 0
        durationMilliseconds = MonotonicClock.milliseconds(since: started)
        self.endpoint = endpoint
        self.version = version
        self.failure = failure
    }

    var bodyTruncated: Bool { body.count < bodySize }
    var responseTruncated: Bool { responseBody.count < responseBodySize }

    /// What the entry costs the journal's byte budget.
    var bytes: Int {
        body.count + responseBody.count + target.utf8.count + 256
            + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
            + responseHeaders.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
    }
}

/// The request journal: the last requests handler endpoints answered, newest last, bounded by
/// count and by bytes (bodies over the body limit are kept truncated, and say so).
///
/// Recording takes this journal's own lock only, for an append: never a lock the request path
/// holds, and no serialization until someone reads.
public final class RequestJournal: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxEntries = 1000
        public var maxBytes = 64 << 20
        public var maxBodyBytes = 64 << 10
        public init() {}
    }

    public let limits: Limits
    /// A fixed ring of `maxEntries` slots: recording overwrites the oldest slot, and the entry
    /// it replaces is released after the lock (freeing its strings is the costly part).
    private struct State {
        var slots: [JournalEntry?]
        /// Where the next entry goes.
        var next = 0
        var count = 0
        var bytes = 0
        var nextID = 1
        /// Each slot's cost, so evicting reads no strings.
        var costs: [Int]
    }
    private let state: Mutex<State>

    public init(limits: Limits = Limits()) {
        self.limits = limits
        state = Mutex(
            State(
                slots: Array(repeating: nil, count: limits.maxEntries),
                costs: Array(repeating: 0, count: limits.maxEntries)))
    }

    /// Keeps `entry` (its id assigned here); returns the id.
    @discardableResult
    public func record(_ entry: JournalEntry) -> Int {
        precondition(entry.id == 0, "a journal entry is recorded once")
        if entry.body.count > limits.maxBodyBytes { entry.body = Array(entry.body.prefix(limits.maxBodyBytes)) }
        if entry.responseBody.count > limits.maxBodyBytes {
            entry.responseBody = Array(entry.responseBody.prefix(limits.maxBodyBytes))
        }
        let cost = entry.bytes
        let capacity = limits.maxEntries
        let maxBytes = limits.maxBytes
        // What the lock hands back to be freed after it: the slot's old entry, and (rarely)
        // more when over the byte budget.
        var releasedOne: JournalEntry?
        var released: [JournalEntry] = []
        let id = state.withLock { state -> Int in
            entry.id = state.nextID
            state.nextID += 1
            let slot = state.next
            if let old = state.slots[slot] {
                releasedOne = old
                state.bytes -= state.costs[slot]
                state.count -= 1
            }
            state.slots[slot] = entry
            state.costs[slot] = cost
            state.bytes += cost
            state.count += 1
            state.next = (slot + 1) % capacity
            // Over the byte budget: drop the oldest until within it (keeping the newest).
            var oldest = (state.next - state.count + capacity) % capacity
            while state.bytes > maxBytes && state.count > 1 {
                if let old = state.slots[oldest] { released.append(old) }
                state.slots[oldest] = nil
                state.bytes -= state.costs[oldest]
                state.count -= 1
                oldest = (oldest + 1) % capacity
            }
            return entry.id
        }
        _ = (releasedOne, released)  // freed here, outside the lock
        return id
    }

    /// Entries kept now, newest first, that pass `filter`.
    public func entries(where filter: (JournalEntry) -> Bool = { _ in true }, limit: Int = .max) -> [JournalEntry] {
        let kept: [JournalEntry] = state.withLock { state in
            (0..<state.count).compactMap { back in
                state.slots[(state.next - 1 - back + 2 * limits.maxEntries) % limits.maxEntries]
            }
        }
        var found: [JournalEntry] = []
        for entry in kept where filter(entry) {
            found.append(entry)
            if found.count == limit { break }
        }
        return found
    }

    /// Entry `id`, if still kept (ids are consecutive, so this is an index, not a search).
    public func entry(_ id: Int) -> JournalEntry? {
        guard id > 0 else { return nil }
        return state.withLock { state in
            guard id < state.nextID else { return nil }
            let back = state.nextID - 1 - id
            guard back >= 0, back < state.count else { return nil }
            let entry = state.slots[(state.next - 1 - back + 2 * limits.maxEntries) % limits.maxEntries]
            return entry?.id == id ? entry : nil
        }
    }

    /// How many entries and bytes are kept now.
    public var usage: (entries: Int, bytes: Int) {
        state.withLock { ($0.count, $0.bytes) }
    }
}
