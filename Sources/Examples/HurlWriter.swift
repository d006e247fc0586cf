/// A `.hurl` example written from a recorded request: the request, its status, and a body
/// assertion (what "Save as example" in the dashboard writes).
public enum HurlWriter {
    /// Request headers worth keeping in an example (others are the client's own, or secrets).
    static let keptHeaders: Set<String> = ["content-type", "accept"]

    public static func example(
        method: String, target: String, headers: [(String, String)], body: String?, status: Int, responseBody: String?
    ) -> String {
        var text = "# Saved from the request journal.\n\(method) \(target)\n"
        for (name, value) in headers where keptHeaders.contains(name.lowercased()) { text += "\(name): \(value)\n" }
        if let body, !body.isEmpty {
            if body.contains("\n") || body.contains("`") {
                text += "```\n\(body)\n```\n"
            } else {
                text += "`\(body)`\n"
            }
        }
        text += "HTTP \(status)\n"
        if let responseBody, !responseBody.isEmpty, responseBody.count <= 2000 {
            text += "[Asserts]\nbody == \(quoted(responseBody))\n"
        }
        return text
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
