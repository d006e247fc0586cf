import DataServices
import EdgeSDK
import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

@Suite(.onOwnThreads) struct CacheAndStorageTests {
    static func services() throws -> (TestProject, ProjectServices) {
        let test = try TestProject()
        let project = test.project
        return (
            test,
            ProjectServices(
                dataDirectory: FilePath.join(project.edgeDirectory, "data"),
                handlersDirectory: project.handlersDirectory,
                display: { project.displayPath($0) })
        )
    }

    @Test func cacheValuesExpireAndAreNeverReturnedAfter() throws {
        let (_, services) = try Self.services()
        let cache = Context(endpointID: "t", version: 1, requestID: "r", services: services).cache("views")
        // Expiries of a second or more: every write is synced to disk, slow on a loaded machine.
        try cache.set("k", "v", ttl: .seconds(1))
        try cache.set("forever", ["a": 1])
        #expect(try cache.increment("window", ttl: .seconds(1)) == 1)
        #expect(try cache.increment("window", ttl: .seconds(1)) == 2)
        #expect(try cache.get("k", as: String.self) == "v")
        #expect(try cache.exists("k"))
        usleep(1_500_000)
        #expect(try cache.increment("window") == 1)  // a new window
        #expect(try cache.get("k", as: String.self) == nil)
        #expect(try !cache.exists("k"))
        #expect(try cache.get("forever", as: [String: Int].self) == ["a": 1])
        #expect(try cache.delete("forever"))
        #expect(try !cache.delete("forever"))
        // An expired counter starts again from 0.
        try cache.set("n", 41, ttl: .seconds(1))
        usleep(1_200_000)
        #expect(try cache.increment("n") == 1)
        #expect(try cache.decrement("n", by: 3) == -2)
        try cache.set("word", "text")
        #expect(throws: HandlerError.self) { try cache.increment("word") }
        #expect(try cache.get("word", as: String.self) == "text")
    }

    @Test func incrementsFromEightThreadsSumExactly() async throws {
        let (_, services) = try Self.services()
        let failures = LockedList()
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<8 {
                group.addTask {
                    _ = try? await onThread {
                        let cache = Context(endpointID: "t", version: 1, requestID: "r\(thread)", services: services)
                            .cache("hits")
                        for _ in 0..<100 {
                            do { try cache.increment("total") } catch { failures.append("\(error)") }
                        }
                    }
                }
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.prefix(3))")
        let cache = Context(endpointID: "t", version: 1, requestID: "r", services: services).cache("hits")
        #expect(try cache.get("total", as: Int.self) == 800)
    }

    @Test func storageKeepsBlobsAndRefusesKeysThatLeaveItsFolder() throws {
        let (test, services) = try Self.services()
        let blobs = Context(endpointID: "t", version: 1, requestID: "r", services: services).storage("uploads")
        try blobs.put("a/b.txt", Array("hi".utf8), contentType: "text/plain")
        try blobs.put("a/c/d.bin", [0, 1, 2])
        try blobs.put("z.txt", Array("z".utf8))
        let object = try #require(try blobs.get("a/b.txt"))
        #expect(object.bytes == Array("hi".utf8) && object.contentType == "text/plain")
        #expect(try blobs.list(prefix: "a/") == ["a/b.txt", "a/c/d.bin"])
        #expect(try blobs.list() == ["a/b.txt", "a/c/d.bin", "z.txt"])
        #expect(try blobs.delete("a/c/d.bin"))
        #expect(try blobs.get("a/c/d.bin") == nil)
        #expect(try !blobs.delete("a/c/d.bin"))

        let before = Set(try runCommand(["/usr/bin/find", test.root]).output.split(separator: "\n"))
        for key in ["../x", "/etc/passwd", "a\0b", "a/../../x", "", "a//b", "./a", "a/.."] {
            #expect(throws: HandlerError.self, "\(key)") { try blobs.put(key, [1]) }
            #expect(throws: HandlerError.self, "\(key)") { try blobs.get(key) }
        }
        let after = Set(try runCommand(["/usr/bin/find", test.root]).output.split(separator: "\n"))
        #expect(after == before, "\(after.subtracting(before))")
        #expect(!FilePath.exists(FilePath.join(FilePath.directory(of: test.root), "x")))
    }

    @Test func stateSurvivesANewStoreAndAValueThatNoLongerDecodesIsKept() throws {
        let (_, services) = try Self.services()
        struct Counter: Codable { var count: Int }
        struct Renamed: Codable { var total: Int }
        let first = try StateStore(backend: services.stateBackend(endpoint: "todos").get())
        try first.set("counter", Counter(count: 7))
        _ = try first.update("list", default: [String]()) { $0.append("a") }

        // A new store on the same file (a restarted serve) sees both values.
        let second = try StateStore(backend: services.stateBackend(endpoint: "todos").get())
        #expect(try second.get("counter", as: Counter.self)?.count == 7)
        #expect(try second.get("list", as: [String].self) == ["a"])
        #expect(throws: HandlerError.self) { try second.get("counter", as: Renamed.self) }
        #expect(throws: HandlerError.self) {
            try second.update("counter", default: Renamed(total: 0)) { $0.total += 1 }
        }
        let third = try StateStore(backend: services.stateBackend(endpoint: "todos").get())
        #expect(try third.get("counter", as: Counter.self)?.count == 7)  // kept untouched
        // Another endpoint's state is its own.
        let other = try StateStore(backend: services.stateBackend(endpoint: "other").get())
        #expect(other.keys.isEmpty)
    }
}
