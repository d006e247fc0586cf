import EdgeHTTP
import EdgeSystem
import HandlerBuild

/// `edge-dev replay <id> [--version N]`: sends request `<id>` of the running serve's journal to
/// a kept version of its endpoint (the serving one by default) and prints both answers' diff.
public enum ReplayCommand {
    public static let version = Option<String?>(
        "--version", "N", help: "The version to replay on (default: the one serving now).", shown: "serving")

    public static let spec = CommandSpec(
        name: "replay",
        abstract: "Send a recorded request (see /_edge/requests) again, to any kept version, and show the diff.",
        arguments: [Argument("id", help: "The request's number in the journal.")],
        options: [CommonOptions.handlers, version])

    public static func run(_ arguments: ParsedArguments) async -> Int32 {
        guard let project = arguments.existingProject() else { return 1 }
        guard let id = Int(arguments.positionals[0]) else {
            HostLog.err("Error: '\(arguments.positionals[0])' is not a request number\n\(spec.usage)\n")
            return 2
        }
        guard let server = ServerRecord.read(project) else {
            HostLog.err("error: no `edge-dev serve` is running on this project: the journal lives in it\n")
            return 1
        }
        var body = ""
        if let given = arguments[version] {
            guard let number = Int(given.hasPrefix("v") ? String(given.dropFirst()) : given) else {
                HostLog.err("Error: --version takes a number (3 or v3), not '\(given)'\n\(spec.usage)\n")
                return 2
            }
            body = JSONValue.object([("version", JSONValue(number))]).serialized
        }
        let answer: (status: Int, body: String)
        do {
            answer = try LocalHTTPClient.post(
                host: server.host, port: server.port, "/_edge/requests/\(id)/replay", json: body)
        } catch {
            HostLog.err("error: cannot reach the running serve at \(server.url): \(error)\n")
            return 1
        }
        guard let document = try? JSONValue.parse(answer.body), answer.status == 200 else {
            let message = (try? JSONValue.parse(answer.body))?["message"]
            if case .string(let text)? = message {
                HostLog.err("error: \(text)\n")
            } else {
                HostLog.err("error: \(answer.body)\n")
            }
            return 1
        }
        HostLog.out(describe(document))
        return document["diff"]?["same"] == .bool(true) ? 0 : 3
    }

    /// The two answers side by side: status, changed headers, the body diff.
    static func describe(_ document: JSONValue) -> String {
        func number(_ value: JSONValue?) -> String {
            if case .number(let n)? = value { return String(Int(n)) }
            return "?"
        }
        let original = document["original"]
        let replayed = document["replayed"]
        var text = "original v\(number(original?["version"])): \(number(original?["status"]))\n"
        text += "replayed v\(number(replayed?["version"])): \(number(replayed?["status"]))"
        if case .string(let failure)? = replayed?["failure"] { text += " (\(failure))" }
        text += "\n"
        guard let diff = document["diff"] else { return text }
        if diff["same"] == .bool(true) { return text + "same status, headers and body\n" }
        if case .array(let headers)? = diff["headers"] {
            for header in headers {
                text += "header \(header["name"].map { if case .string(let s) = $0 { s } else { "" } } ?? ""): "
                text += "\(header["original"]?.serialized ?? "null") -> \(header["replayed"]?.serialized ?? "null")\n"
            }
        }
        if let body = diff["body"], body != .null {
            if case .array(let changes)? = body["changes"] {
                for change in changes {
                    let path = change["path"].map { if case .string(let s) = $0 { s } else { "" } } ?? ""
                    text +=
                        "body \(path): \(change["original"]?.serialized ?? "") -> \(change["replayed"]?.serialized ?? "")\n"
                }
            } else if case .array(let lines)? = body["lines"] {
                for line in lines { if case .string(let s) = line, !s.hasPrefix("  ") { text += "body \(s)\n" } }
            } else {
                text += "body differs\n"
            }
        }
        return text
    }
}
