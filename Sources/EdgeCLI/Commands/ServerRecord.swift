import EdgeSystem
import Glibc
import HandlerBuild

/// `.edge/server.json`: where the project's running `edge-dev serve` listens, for other commands.
struct ServerRecord {
    var url: String
    /// The address it listens on, as given to `--host` (a wildcard is asked on loopback).
    var host: String
    var port: Int
    var pid: Int32

    static func path(_ project: Project) -> String { FilePath.join(project.edgeDirectory, "server.json") }

    func write(_ project: Project) {
        try? FilePath.createDirectories(project.edgeDirectory)
        let json = JSONValue.object([
            ("url", .string(url)), ("host", .string(host)), ("port", JSONValue(port)), ("pid", JSONValue(Int(pid))),
        ])
        try? FilePath.write(json.serialized + "\n", to: Self.path(project))
    }

    /// Removes the record if it is this process's (another `serve` may have written its own).
    static func removeIfOurs(_ project: Project) {
        guard let text = try? FilePath.readText(path(project)), let json = try? JSONValue.parse(text),
            json["pid"] == JSONValue(Int(getpid()))
        else { return }
        unlink(path(project))
    }

    /// The record, if there is one and its process is still running.
    static func read(_ project: Project) -> ServerRecord? {
        guard let text = try? FilePath.readText(path(project)), let json = try? JSONValue.parse(text),
            case .string(let url) = json["url"], case .number(let port) = json["port"],
            case .number(let pid) = json["pid"],
            kill(pid_t(pid), 0) == 0
        else { return nil }
        var host = "127.0.0.1"
        if case .string(let given) = json["host"], given != "0.0.0.0", given != "::" { host = given }
        return ServerRecord(url: url, host: host, port: Int(port), pid: pid_t(pid))
    }
}
