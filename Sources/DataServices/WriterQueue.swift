import EdgeSDK
import EdgeSystem
import Glibc

/// The writers of one database in this process, let through to SQLite's write lock one at a
/// time, first come first served.
///
/// SQLite has one write lock per database, and its busy handler makes the writers that miss it
/// poll: each sleeps 1, 2, 5, ... and then 100 ms at a time and tries again. A writer can lose
/// every one of those races to writers that came after it. On CI, where an fsync takes about
/// 20 ms, eight writers left one of them without the lock for the whole 10 s busy timeout, and
/// its request failed with "database is locked" (`strace -f -e inject=fdatasync:delay_exit=20000`
/// reproduces it here). Queued in order, a writer waits at most for the writers ahead of it.
/// SQLite's busy timeout still covers writers in other processes (a second edge-dev).
///
/// A turn is not tied to a thread: a request that trapped inside a transaction has its turn
/// given back by `reclaim(owner:)` on another thread.
package final class WriterQueue: @unchecked Sendable {
    /// Who holds the turn: the request (empty for the host's own writes) and its thread.
    private struct Holder {
        let owner: String
        let thread: pthread_t
    }

    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private let turnPassed: UnsafeMutablePointer<pthread_cond_t>
    // Guarded by `lock`.
    private var holder: Holder?
    private var waiting: [UInt64] = []
    private var nextTicket: UInt64 = 0

    package init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
        turnPassed = .allocate(capacity: 1)
        turnPassed.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(turnPassed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(turnPassed)
        pthread_mutex_destroy(lock)
        turnPassed.deallocate()
        lock.deallocate()
    }

    /// Waits for this writer's turn, at most `timeoutMilliseconds` (SQLite's busy timeout
    /// unless told). `statement` names the statement in the error.
    ///
    /// Throws at once when this thread already holds the turn for the same request: a write
    /// through `db` inside that request's `db.transaction` would wait for its own transaction.
    package func enter(
        owner: String, timeoutMilliseconds: Int32 = SQLiteConnection.busyTimeoutMilliseconds, statement: String
    ) throws(DatabaseError) {
        let me = pthread_self()
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if let holder, !owner.isEmpty, holder.owner == owner, pthread_equal(holder.thread, me) != 0 {
            throw DatabaseError(
                message: "this request's transaction holds the write lock: inside `db.transaction { tx in ... }`, "
                    + "write through `tx`, not `db`", statement: statement, code: 5)  // SQLITE_BUSY
        }
        let ticket = nextTicket
        nextTicket &+= 1
        waiting.append(ticket)
        var deadline = Self.deadline(afterMilliseconds: timeoutMilliseconds)
        while holder != nil || waiting.first != ticket {
            if pthread_cond_timedwait(turnPassed, lock, &deadline) == ETIMEDOUT,
                holder != nil || waiting.first != ticket
            {
                waiting.removeAll { $0 == ticket }
                // Leaving the head of the queue may make the next writer's turn.
                if holder == nil { pthread_cond_broadcast(turnPassed) }
                let heldBy = holder.map { $0.owner.isEmpty ? "edge-dev itself" : "request \($0.owner)" } ?? "nobody"
                throw DatabaseError(
                    message: "database is locked: waited \(Self.shown(timeoutMilliseconds)) for the write lock "
                        + "(held by \(heldBy), \(waiting.count) more waiting)", statement: statement, code: 5)
            }
        }
        waiting.removeFirst()
        holder = Holder(owner: owner, thread: me)
    }

    /// How many writers have asked for a turn since the queue was made.
    package var arrivals: UInt64 {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return nextTicket
    }

    /// Gives the turn to the next writer. From any thread.
    package func leave() {
        pthread_mutex_lock(lock)
        holder = nil
        if !waiting.isEmpty { pthread_cond_broadcast(turnPassed) }
        pthread_mutex_unlock(lock)
    }

    /// Runs `body` in a turn of its own.
    package func inTurn<T>(
        owner: String, timeoutMilliseconds: Int32 = SQLiteConnection.busyTimeoutMilliseconds, statement: String,
        _ body: () throws(DatabaseError) -> T
    ) throws(DatabaseError) -> T {
        try enter(owner: owner, timeoutMilliseconds: timeoutMilliseconds, statement: statement)
        defer { leave() }
        return try body()
    }

    /// "10 s", or "100 ms" for what is not whole seconds.
    private static func shown(_ milliseconds: Int32) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    private static func deadline(afterMilliseconds milliseconds: Int32) -> timespec {
        let end = MonotonicClock.nanoseconds() &+ UInt64(max(0, milliseconds)) &* 1_000_000
        return timespec(tv_sec: Int(end / 1_000_000_000), tv_nsec: Int(end % 1_000_000_000))
    }
}
