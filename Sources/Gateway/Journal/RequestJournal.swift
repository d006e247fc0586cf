import EdgeSDK
import EdgeSystem
import Synchronization

/// One request a handler endpoint answered (or crashed or timed out on), as the journal keeps it.
public struct JournalEntry: Sendable {
    /// The journal's own number, growing from 1: `/_edge/requests/<id>`.
    public var id: Int
    public var requestID: String
    /// Seconds since the epoch.
    public var time: Int
    public var method: String
    public var target: String
    /// The decoded path and query, for replay.
    public var path: String
    public var queryItems: [QueryItem]
    public var headers: [HTTPHeaders.Field]
    public var body: [UInt8]
    /// The body's size as received; `body` holds at most the journal's body limit of it.
    public var bodySize: Int
    public var status: Int
    public var responseHeaders: [HTTPHeaders.Field]
    public var responseBody: [UInt8]
    public var responseBodySize: Int
    public var durationMilliseconds: Double
    public var endpoint: String
    public var version: Int
    /// Why there was no answer from the handler: its crash, or its timeout.
    public var failure: String?

    var bodyTruncated: Bool { body.count < bodySize }
    var responseTruncated: Bool { responseBody.count < responseBodySize }

    /// What the entry costs the journal's byte budget.
    var bytes: Int {
        body.count + responseBody.count + target.utf8.count + 256
            + (headers + responseHeaders).reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
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
    private struct State {
        var entries: [JournalEntry] = []
        /// Index of the oldest entry in `entries` still kept (a ring without moving elements).
        var start = 0
        var bytes = 0
        var nextID = 1
    }
    private let state = Mutex(State())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Keeps `entry` (its id assigned here); returns the id.
    @discardableResult
    public func record(_ entry: JournalEntry) -> Int {
        var entry = entry
        if entry.body.count > limits.maxBodyBytes { entry.body = Array(entry.body.prefix(limits.maxBodyBytes)) }
        if entry.responseBody.count > limits.maxBodyBytes {
            entry.responseBody = Array(entry.responseBody.prefix(limits.maxBodyBytes))
        }
        let size = entry.bytes
        return state.withLock { state in
            entry.id = state.nextID
            state.nextID += 1
            state.entries.append(entry)
            state.bytes += size
            while state.entries.count - state.start > limits.maxEntries
                || (state.bytes > limits.maxBytes && state.entries.count - state.start > 1)
            {
                state.bytes -= state.entries[state.start].bytes
                state.start += 1
            }
            // Compact once the dropped prefix is as long as what is kept.
            if state.start > 0 && state.start >= state.entries.count - state.start {
                state.entries.removeFirst(state.start)
                state.start = 0
            }
            return entry.id
        }
    }

    /// Entries kept now, newest first, that pass `filter`.
    public func entries(where filter: (JournalEntry) -> Bool = { _ in true }, limit: Int = .max) -> [JournalEntry] {
        let kept = state.withLock { Array($0.entries[$0.start...]) }
        var found: [JournalEntry] = []
        for entry in kept.reversed() where filter(entry) {
            found.append(entry)
            if found.count == limit { break }
        }
        return found
    }

    /// Entry `id`, if still kept (ids are consecutive, so this is an index, not a search).
    public func entry(_ id: Int) -> JournalEntry? {
        state.withLock { state in
            guard let first = state.entries[state.start...].first else { return nil }
            let index = state.start + (id - first.id)
            return state.entries.indices.contains(index) && index >= state.start ? state.entries[index] : nil
        }
    }

    /// How many entries and bytes are kept now.
    public var usage: (entries: Int, bytes: Int) {
        state.withLock { ($0.entries.count - $0.start, $0.bytes) }
    }
}
