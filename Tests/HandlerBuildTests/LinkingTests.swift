import EdgeSystem
import EdgeTestSupport
import Glibc
import HandlerBuild
import Testing

/// The link without the drivers: autolink entries read in-process and `ld.lld` run directly, as
/// clang said it would run it; the library loads and serves as before.
@Suite(.onOwnThreads) struct LinkingTests {
    @Test func handlersAreLinkedByLLDDirectlyAndLoad() async throws {
        let test = try TestProject(samples: ["todos"])
        let result = try await test.build("todos")
        let library = try #require(result.libraryPath)
        let comment = try runCommand(["/usr/bin/readelf", "-p", ".comment", library])
        try #require(comment.status == 0, "\(comment.output)")
        #expect(comment.output.contains("Linker: LLD"), "\(comment.output)")
        // The autolink entries made it into the link: the libraries the handler needs are named.
        let needed = try runCommand(["/usr/bin/readelf", "-d", library]).output
        for name in ["libswiftCore.so", "libEdgeSDK.so", "libswift_Concurrency.so"] {
            #expect(needed.contains(name), "\(name) in\n\(needed)")
        }
        _ = try test.registry.load("todos", from: library, version: result.version)
        let response = try await test.execute("todos")
        #expect(response.status == 200)
    }
}
