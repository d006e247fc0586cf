import EdgeSDK
import Synchronization

/// One database file and its connections: `ctx.database(name)` as the host runs it.
///
/// Handlers run on several threads at once; each statement takes an idle connection (or opens
/// one) and gives it back, so concurrency is bounded by the threads running handlers, and WAL
/// lets readers run beside the one writer. Writers queue for their turn in `writers`, in the
/// order they came. A transaction keeps its connection and its turn until commit or rollback,
/// registered under the request that began it: when that request traps (its thread ends
/// mid-closure), `reclaim(owner:)` rolls the transaction back and frees the lock, so the next
/// request succeeds.
public final class SQLiteDatabase: DatabaseBackend, Sendable {
    public let path: String
    /// Idle connections kept for reuse; more are opened when all are busy.
    static let maxIdleConnections = 8

    private struct State {
        var idle: [SQLiteConnection] = []
        var transactions: [String: [Transaction]] = [:]
        var opened = 0
    }
    private let state = Mutex(State())
    /// This process's writers, let through one at a time in the order they came.
    let writers = WriterQueue()

    public init(path: String) throws(DatabaseError) {
        self.path = path
        // Open one now: a database that cannot open says so at once, not at the first request.
        let first = try SQLiteConnection(path: path)
        state.withLock {
            $0.idle.append(first)
            $0.opened = 1
        }
    }

    func lease() throws(DatabaseError) -> SQLiteConnection {
        if let idle = state.withLock({ $0.idle.popLast() }) { return idle }
        let connection = try SQLiteConnection(path: path)
        state.withLock { $0.opened += 1 }
        return connection
    }

    func giveBack(_ connection: SQLiteConnection) {
        if connection.inTransaction { _ = try? connection.execute("ROLLBACK", []) }
        state.withLock { state in
            if state.idle.count < Self.maxIdleConnections {
                state.idle.append(connection)
            } else {
                state.opened -= 1
            }
        }
    }

    /// Runs `body` on a connection of its own.
    func withConnection<T>(_ body: (SQLiteConnection) throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        let connection = try lease()
        defer { giveBack(connection) }
        return try body(connection)
    }

    /// Runs `body` on a connection of its own, in this process's turn to write; `work` names it
    /// in an error.
    func writing<T>(_ work: String, _ body: (SQLiteConnection) throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        try writers.inTurn(owner: "", statement: work) { () throws(DatabaseError) in try withConnection(body) }
    }

    public func execute(_ sql: String, _ parameters: [SQLValue], owner: String) throws(DatabaseError) -> Int {
        try withConnection { connection throws(DatabaseError) in
            try connection.execute(sql, parameters, turn: .init(queue: writers, owner: owner))
        }
    }

    public func query(_ sql: String, _ parameters: [SQLValue], owner: String) throws(DatabaseError) -> SQLRows {
        try withConnection { connection throws(DatabaseError) in
            try connection.query(sql, parameters, turn: .init(queue: writers, owner: owner))
        }
    }

    public func begin(owner: String) throws(DatabaseError) -> any DatabaseTransactionBackend {
        // The turn first, then a connection: a writer waiting in line holds no connection.
        try writers.enter(owner: owner, statement: "BEGIN IMMEDIATE")
        let connection: SQLiteConnection
        do throws(DatabaseError) {
            connection = try lease()
        } catch {
            writers.leave()
            throw error
        }
        do throws(DatabaseError) {
            // IMMEDIATE: the write lock now, so the transaction never fails later with a busy
            // snapshot when it first writes after another writer committed (a writer in
            // another process).
            // Through the statement cache: `run` would prepare it afresh for every transaction.
            _ = try connection.execute("BEGIN IMMEDIATE", [])
        } catch {
            giveBack(connection)
            writers.leave()
            throw error
        }
        let transaction = Transaction(database: self, connection: connection, owner: owner)
        state.withLock { $0.transactions[owner, default: []].append(transaction) }
        return transaction
    }

    /// Drops everything in the database, on the same file (see `SQLiteConnection.dropEverything`).
    func dropEverything() throws(DatabaseError) {
        try writing("reset the database") { connection throws(DatabaseError) in try connection.dropEverything() }
    }

    /// Rolls back and frees every transaction `owner` left open (its request trapped or timed
    /// out). Returns how many there were.
    @discardableResult
    public func reclaim(owner: String) -> Int {
        let left = state.withLock { $0.transactions.removeValue(forKey: owner) ?? [] }
        for transaction in left { transaction.rollback() }
        return left.count
    }

    fileprivate func finished(_ transaction: Transaction) {
        state.withLock { state in
            state.transactions[transaction.owner]?.removeAll { $0 === transaction }
            if state.transactions[transaction.owner]?.isEmpty == true {
                state.transactions.removeValue(forKey: transaction.owner)
            }
        }
        giveBack(transaction.connection)
        writers.leave()
    }

    /// Connections open now (idle and in use), for the status document.
    public var openConnections: Int { state.withLock { $0.opened } }

    /// A transaction in progress; commit or rollback ends it once (a second call does nothing).
    final class Transaction: DatabaseTransactionBackend, @unchecked Sendable {
        let database: SQLiteDatabase
        let connection: SQLiteConnection
        let owner: String
        private let ended = Atomic<Bool>(false)

        init(database: SQLiteDatabase, connection: SQLiteConnection, owner: String) {
            self.database = database
            self.connection = connection
            self.owner = owner
        }

        func execute(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> Int {
            try live(sql)
            let result = Result { () throws(DatabaseError) in try connection.execute(sql, parameters) }
            try stillOpen(sql)
            return try result.get()
        }

        func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> SQLRows {
            try live(sql)
            let result = Result { () throws(DatabaseError) in try connection.query(sql, parameters) }
            try stillOpen(sql)
            return try result.get()
        }

        /// SQLite ends a transaction by itself on some errors (ON CONFLICT ROLLBACK, RAISE
        /// (ROLLBACK), a full disk) or on a COMMIT in the statements: later statements would then
        /// each commit on their own. So the transaction is over, and every later call says so.
        private func stillOpen(_ sql: String) throws(DatabaseError) {
            guard !connection.inTransaction else { return }
            guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
            database.finished(self)
            throw DatabaseError(
                message: "the transaction was ended by this statement (rolled back or committed by SQLite); "
                    + "nothing after it runs in the transaction", statement: sql, code: 1)
        }

        func commit() throws(DatabaseError) {
            guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
            do {
                _ = try connection.execute("COMMIT", [])
            } catch {
                database.finished(self)  // rolls back what is left
                throw error
            }
            database.finished(self)
        }

        func rollback() {
            guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
            _ = try? connection.execute("ROLLBACK", [])
            database.finished(self)
        }

        private func live(_ sql: String) throws(DatabaseError) {
            if ended.load(ordering: .acquiring) {
                throw DatabaseError(message: "the transaction has ended", statement: sql, code: 21)
            }
        }
    }
}
