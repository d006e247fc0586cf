import BuildServer
import EdgeSystem
import Testing

@Suite struct MessageFramerTests {
    @Test func messagesSplitAnywhereAreReassembled() throws {
        let first = JSONValue.object([("jsonrpc", "2.0"), ("id", 1), ("method", "build/initialize")])
        let second = JSONValue.object([("jsonrpc", "2.0"), ("method", "build/initialized"), ("params", .object([]))])
        let wire = MessageFramer.frame(first) + MessageFramer.frame(second)
        for split in 0...wire.count {
            var framer = MessageFramer()
            var seen: [JSONValue] = []
            framer.append(wire[..<split])
            while let message = try framer.next() { seen.append(message) }
            framer.append(wire[split...])
            while let message = try framer.next() { seen.append(message) }
            #expect(seen == [first, second], "split at \(split)")
        }
    }

    @Test func otherHeaderFieldsAndCaseAreAccepted() throws {
        var framer = MessageFramer()
        framer.append(
            Array("content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}".utf8))
        #expect(try framer.next() == .object([]))
        #expect(try framer.next() == nil)
    }

    @Test func brokenFramesAreNamed() {
        for (wire, problem) in [
            ("Content-Type: x\r\n\r\n{}", "without Content-Length"), ("Content-Length: ten\r\n\r\n", "not a number"),
            ("Content-Length: 3\r\n\r\n{x}", "not JSON"), ("Content-Length\r\n\r\n", "without ':'"),
            ("Content-Length: 999999999999\r\n\r\n", "at most"),
        ] {
            var framer = MessageFramer()
            framer.append(Array(wire.utf8))
            #expect {
                _ = try framer.next()
            } throws: { error in
                "\(error)".contains(problem)
            }
        }
    }

    @Test func fileURIsRoundTrip() {
        #expect(FileURI.from(path: "/a/b c/ü.swift") == "file:///a/b%20c/%C3%BC.swift")
        #expect(FileURI.path("file:///a/b%20c/%C3%BC.swift") == "/a/b c/ü.swift")
        #expect(FileURI.from(path: "/a/src", directory: true) == "file:///a/src/")
        #expect(FileURI.path("file:///a/src/") == "/a/src")
        #expect(FileURI.path("file://localhost/x") == "/x")
        #expect(FileURI.path("edge-dev://endpoint/x") == nil)
    }
}
