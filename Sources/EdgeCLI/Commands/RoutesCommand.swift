import EdgeHTTP
import EdgeSystem
import Gateway
import Glibc
import HandlerBuild

/// `edge-dev routes`: the route table, with each endpoint's state from the running server when
/// there is one.
public enum RoutesCommand {
    public static let json = Flag("--json", help: "Print JSON instead of a table.")

    public static let spec = CommandSpec(
        name: "routes",
        abstract: "Show the route table: method, path, endpoint and state.",
        options: [CommonOptions.handlers, json])

    struct Row {
        var methods: [String]
        var path: String
        var endpoint: String
        var state: String
        var problem: String?
    }

    public static func run(_ arguments: ParsedArguments) async -> Int32 {
        let style = TerminalStyle(fd: 1)
        guard let project = arguments.existingProject() else { return 1 }
        if let warning = project.skippedFoldersWarning() { HostLog.err(style.yellow("warning") + ": \(warning)\n") }
        let server = ServerRecord.read(project)
        let states = server.flatMap(liveStates)
        let rows = routes(
            project, states: states ?? [:],
            fallback: server == nil ? "not built" : states == nil ? "unknown" : "created")
        if arguments[json] {
            let json = JSONValue.array(
                rows.map { row in
                    .object([
                        ("method", .array(row.methods.map { .string($0) })), ("path", .string(row.path)),
                        ("endpoint", .string(row.endpoint)), ("state", .string(row.state)),
                        ("error", JSONValue(row.problem)),
                    ])
                })
            HostLog.out(json.serialized + "\n")
            return 0
        }
        guard !rows.isEmpty else {
            HostLog.out(
                "no endpoints in \(project.displayPath(project.handlersDirectory)); `edge-dev new NAME` makes one\n")
            return 0
        }
        let table =
            [["METHOD", "PATH", "ENDPOINT", "STATE"]]
            + rows.map { [$0.methods.joined(separator: ","), $0.path, $0.endpoint, $0.state] }
        let widths = (0..<4).map { column in table.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for (index, row) in table.enumerated() {
            let line = (0..<4).map { $0 == 3 ? row[$0] : row[$0].padding(to: widths[$0] + 2) }.joined()
            text += (index == 0 ? style.dim(line) : line) + "\n"
        }
        for row in rows { if let problem = row.problem { text += style.red("error") + ": \(problem)\n" } }
        text +=
            style.dim(
                server.map {
                    states == nil ? "the server at \($0.url) did not answer" : "states from the server at \($0.url)"
                }
                    ?? "no server running: states are not built yet")
            + "\n"
        HostLog.out(text)
        return 0
    }

    /// One row per endpoint and path pattern, in route order (static segments first).
    /// `fallback` is the state of an endpoint the server did not report (or of every endpoint
    /// when no server could be asked).
    static func routes(_ project: Project, states: [String: String], fallback: String) -> [Row] {
        var rows: [Row] = []
        for id in project.endpointIDs() {
            let manifest: EndpointManifest
            do {
                manifest = try EndpointManifest.load(id, in: project)
            } catch {
                rows.append(Row(methods: ["-"], path: "-", endpoint: id, state: "error", problem: error.description))
                continue
            }
            let state = states[id] ?? fallback
            for pattern in manifest.patterns {
                rows.append(Row(methods: manifest.methodList, path: pattern.description, endpoint: id, state: state))
            }
        }
        return rows.sorted { ($0.path, $0.endpoint) < ($1.path, $1.endpoint) }
    }

    /// Endpoint states from the running server's `/_edge/status`.
    static func liveStates(_ server: ServerRecord) -> [String: String]? {
        guard let text = try? LocalHTTPClient.get(host: server.host, port: server.port, "/_edge/status"),
            let status = try? JSONValue.parse(text),
            case .array(let endpoints) = status["endpoints"]
        else { return nil }
        var states: [String: String] = [:]
        for endpoint in endpoints {
            if case .string(let id) = endpoint["id"], case .string(let state) = endpoint["state"] { states[id] = state }
        }
        return states
    }

}
