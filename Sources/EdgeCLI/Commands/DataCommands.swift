import DataServices
import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Gateway
import Glibc
import HandlerBuild

/// `edge-dev db reset`, `edge-dev state reset` and `edge-dev clean`: data goes only on purpose.
/// With a `serve` running for the project, a reset goes through it (`POST /_edge/data/reset`),
/// so its open databases and stores see it at once; without one, the files are changed here.
public enum DataCommands {
    public static let db = CommandSpec(
        name: "db",
        abstract: "Start a database over: `edge-dev db reset NAME` deletes it and applies its migrations again.",
        arguments: [Argument("action", help: "reset"), Argument("name", help: "The database (ctx.database(NAME)).")],
        options: [CommonOptions.handlers])

    public static let state = CommandSpec(
        name: "state",
        abstract: "Reset an endpoint's ctx.state: one key, or every key.",
        arguments: [
            Argument("action", help: "reset"), Argument("endpoint", help: "The endpoint."),
            Argument("key", help: "The key (every key when left out).", optional: true),
        ],
        options: [CommonOptions.handlers])

    public static let keepData = Flag(
        "--data", help: "Also delete .edge/data: every database, cache, object and ctx.state.")

    public static let clean = CommandSpec(
        name: "clean",
        abstract: "Delete edge-dev's builds and caches in .edge/ (data in .edge/data stays unless --data).",
        options: [CommonOptions.handlers, keepData])

    public static func runDB(_ arguments: ParsedArguments) async -> Int32 {
        guard let project = arguments.existingProject(), verb(arguments, spec: db) else { return 2 }
        return reset(project, kind: "database", name: arguments.positionals[1], key: nil)
    }

    public static func runState(_ arguments: ParsedArguments) async -> Int32 {
        guard let project = arguments.existingProject(), verb(arguments, spec: state) else { return 2 }
        let key = arguments.positionals.count > 2 ? arguments.positionals[2] : nil
        return reset(project, kind: "state", name: arguments.positionals[1], key: key)
    }

    private static func verb(_ arguments: ParsedArguments, spec: CommandSpec) -> Bool {
        guard arguments.positionals.first == "reset" else {
            HostLog.err(
                "Error: unknown action '\(arguments.positionals.first ?? "")': the action is reset\n\(spec.usage)\n")
            return false
        }
        return true
    }

    static func reset(_ project: Project, kind: String, name: String, key: String?) -> Int32 {
        if let server = ServerRecord.read(project) {
            var request: [(String, JSONValue)] = [("kind", .string(kind)), ("name", .string(name))]
            if let key { request.append(("key", .string(key))) }
            do {
                let answer = try LocalHTTPClient.post(
                    host: server.host, port: server.port, "/_edge/data/reset",
                    json: JSONValue.object(request).serialized)
                let document = try? JSONValue.parse(answer.body)
                if answer.status == 200, case .string(let message)? = document?["reset"] {
                    HostLog.line("\(message) (through the running serve, pid \(server.pid))")
                    return 0
                }
                if case .string(let message)? = document?["message"] { HostLog.err("error: \(message)\n") }
                return 1
            } catch {
                HostLog.err("error: cannot reach the running serve at \(server.url): \(error)\n")
                return 1
            }
        }
        let services = ProjectServices(project: project)
        switch kind {
        case "database":
            guard services.databaseNames().contains(name) else {
                HostLog.err("error: no database '\(name)' (under .edge/data or handlers/_migrations)\n")
                return 1
            }
            let outcome = services.resetDatabase(name)
            if let failure = outcome?.failure {
                HostLog.err("\(failure)\n")
                return 1
            }
            HostLog.line("database \(name) reset (\(outcome?.applied.count ?? 0) migrations applied again)")
            return 0
        default:
            do {
                let store = try StateStore(backend: services.stateBackend(endpoint: name).get())
                switch store.reset(of: name, key: key) {
                case .success(let said):
                    HostLog.line(said)
                    return 0
                case .failure(let error):
                    HostLog.err("error: \(error.message)\n")
                    return 1
                }
            } catch {
                HostLog.err("error: \(error)\n")
                return 1
            }
        }
    }

    public static func runClean(_ arguments: ParsedArguments) async -> Int32 {
        guard let project = arguments.existingProject() else { return 1 }
        if let server = ServerRecord.read(project) {
            HostLog.err("error: `edge-dev serve` (pid \(server.pid)) is running on this project: stop it first\n")
            return 1
        }
        let data = arguments[keepData]
        var removed: [String] = []
        for entry in FilePath.contents(of: project.edgeDirectory) where data || entry != "data" {
            FilePath.removeTree(FilePath.join(project.edgeDirectory, entry))
            removed.append(entry)
        }
        HostLog.line(
            removed.isEmpty
                ? "nothing to delete in \(project.displayPath(project.edgeDirectory))"
                : "deleted \(removed.sorted().map { ".edge/" + $0 }.joined(separator: ", "))"
                    + (data || !FilePath.exists(FilePath.join(project.edgeDirectory, "data"))
                        ? "" : "; .edge/data kept (--data deletes it)"))
        return 0
    }
}
