import DataServices
import EdgeSDK
import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

/// Writers of one database take turns in the order they came, through the queue itself and
/// through the SDK on the real SQLite library.
@Suite(.onOwnThreads) struct WriterQueueTests {
    /// Writers queued behind a held turn get it in the order they asked; one that gave up
    /// waiting in the middle of the queue holds up nobody behind it.
    @Test func turnsGoInOrderAndAWriterThatGaveUpHoldsNobodyUp() async throws {
        let queue = WriterQueue()
        try queue.enter(owner: "first", timeoutMilliseconds: 1_000, statement: "s")
        let order = LockedList()
        let gaveUp = LockedList()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in ["a", "impatient", "b", "c"] {
                let arrived = queue.arrivals
                group.addTask {
                    try await onThread {
                        do throws(DatabaseError) {
                            try queue.enter(
                                owner: name, timeoutMilliseconds: name == "impatient" ? 100 : 10_000, statement: "s")
                            order.append(name)
                            queue.leave()
                        } catch {
                            gaveUp.append(error.message)
                        }
                    }
                }
                // Each is in line before the next asks: the queue is what is tested, not how
                // soon threads start.
                #expect(await eventually { queue.arrivals > arrived })
            }
            #expect(await eventually { !gaveUp.items.isEmpty })
            #expect(order.items.isEmpty)
            queue.leave()
            try await group.waitForAll()
        }
        #expect(order.items == ["a", "b", "c"])
        #expect(gaveUp.items.count == 1)
        #expect(
            gaveUp.items.first?.contains("waited 100 ms for the write lock (held by request first, ") == true,
            "\(gaveUp.items)")
    }

    /// Three writers keep the write lock busy with 20 ms transactions, taking it again the
    /// moment they commit. A fourth writer still gets its turns. Polling for SQLite's lock
    /// (its busy handler) lost every race and failed with "database is locked" after 10 s.
    @Test func aWriterIsNotStarvedByWritersThatKeepTheLockBusy() async throws {
        let scratch = try DatabaseTests.Scratch()
        let db: @Sendable (String) -> Database = { scratch.context($0).database("main") }
        try db("setup").execute("CREATE TABLE t (who TEXT)")
        let done = AtomicFlag()
        let failures = LockedList()
        await withTaskGroup(of: Void.self) { group in
            for hog in 0..<3 {
                group.addTask {
                    _ = try? await onThread {
                        let database = db("hog\(hog)")
                        let started = MonotonicClock.nanoseconds()
                        // 12 s at most: past the 10 s busy timeout, so the old way fails, not hangs.
                        while !done.isSet, MonotonicClock.milliseconds(since: started) < 12_000 {
                            do {
                                try database.transaction { tx in
                                    try tx.execute("INSERT INTO t VALUES (?)", ["hog"])
                                    usleep(20_000)
                                }
                            } catch {
                                failures.append("hog: \(error)")
                            }
                        }
                    }
                }
            }
            group.addTask {
                _ = try? await onThread {
                    usleep(100_000)  // the hogs are at it
                    let database = db("writer")
                    for _ in 0..<5 {
                        do {
                            try database.execute("INSERT INTO t VALUES (?)", ["writer"])
                        } catch {
                            failures.append("writer: \(error)")
                        }
                    }
                    done.set()
                }
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.prefix(3))")
        #expect(try db("check").query("SELECT count(*) FROM t WHERE who = 'writer'", as: Int.self) == [5])
    }

    /// A write through `db` inside that request's own transaction would wait for the
    /// transaction's lock: it fails at once, saying to use `tx`. Reading through `db` works.
    @Test func writingThroughTheDatabaseInsideItsOwnTransactionSaysToUseTx() throws {
        let scratch = try DatabaseTests.Scratch()
        let db = scratch.context("r1").database("main")
        try db.execute("CREATE TABLE t (x INTEGER)")
        try db.execute("INSERT INTO t VALUES (1)")
        let started = MonotonicClock.nanoseconds()
        var seen: DatabaseError?
        var readInside: [Int] = []
        try db.transaction { tx in
            try tx.execute("INSERT INTO t VALUES (2)")
            readInside = try db.query("SELECT count(*) FROM t", as: Int.self)
            do throws(DatabaseError) {
                try db.execute("INSERT INTO t VALUES (3)")
            } catch {
                seen = error
            }
        }
        #expect(seen?.message.contains("write through `tx`, not `db`") == true, "\(String(describing: seen))")
        #expect(MonotonicClock.milliseconds(since: started) < 5_000, "it failed at once, not after the busy timeout")
        #expect(readInside == [1], "a read through db sees what was committed before the transaction")
        #expect(try db.query("SELECT x FROM t ORDER BY x", as: Int.self) == [1, 2])
    }
}
