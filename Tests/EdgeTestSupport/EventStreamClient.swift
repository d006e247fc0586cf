import EdgeHTTP
import EdgeSystem
import Glibc
import HandlerBuild
import HandlerRuntime

/// A client of `/_edge/events`: the stream's frames as JSON objects.
package final class EventStreamClient {
    private let connection: RawHTTPClient
    package let head: RawHTTPClient.Reply

    package init(port: Int, timeoutSeconds: Int = 30) throws {
        connection = try RawHTTPClient(port: port, timeoutSeconds: timeoutSeconds)
        try connection.send("GET /_edge/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
        head = try connection.readHead()
    }

    /// The next event (frames without data, like `retry:` and pings, are skipped).
    package func next() throws -> JSONValue {
        while true {
            let frame = try connection.readUntil("\n\n")
            for line in frame.split(separator: "\n") where line.hasPrefix("data: ") {
                return try JSONValue.parse(String(line.dropFirst(6)))
            }
        }
    }

    /// Events up to and including the first that `stop` accepts.
    package func events(until stop: (JSONValue) -> Bool) throws -> [JSONValue] {
        var seen: [JSONValue] = []
        while true {
            let event = try next()
            seen.append(event)
            if stop(event) { return seen }
        }
    }
}

/// Runs `edge-dev` with `arguments` in `directory`; its exit status and everything it printed.
package func runEdgeDev(_ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
    let output = FilePath.join(
        TestProject.tempRoot(), "edge-dev-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt")
    defer { unlink(output) }
    let pid = try spawnEdgeDev(arguments, output: output, directory: directory)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return (exitCode(status), (try? FilePath.readText(output)) ?? "")
}

/// Runs `arguments[0]` with the rest as its arguments and waits; its output and exit code.
package func runCommand(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let output = FilePath.join(TestProject.tempRoot(), "command-\(getpid())-\(arguments.count).log")
    let pid = try spawnProcess(arguments, output: output)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    defer { unlink(output) }
    return (exitCode(status), (try? FilePath.readText(output)) ?? "")
}
