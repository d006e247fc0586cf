import EdgeSystem
import Synchronization

/// The start-up screen: where the server is, and every endpoint with its route, state and build.
enum StartupSummary {
    static func format(status: JSONValue, url: String, style: TerminalStyle) -> String {
        var text = "\n  \(style.bold("edge-dev")) serving \(url)   dashboard \(url)/_edge/\n\n"
        guard case .array(let endpoints) = status["endpoints"], !endpoints.isEmpty else {
            return text + "  no endpoints yet: `edge-dev new NAME` makes one\n\n"
        }
        var rows: [[String]] = [["ENDPOINT", "ROUTE", "STATE", "VERSION", "BUILD"]]
        for endpoint in endpoints {
            let methods = strings(endpoint["methods"]).joined(separator: ",")
            let paths = strings(endpoint["paths"]).joined(separator: " ")
            let route = paths.isEmpty ? "" : "\(methods) \(paths)"
            let build = endpoint["lastBuild"]
            var buildText = "-"
            if build?["reused"] == .bool(true) {
                buildText = "reused (sources unchanged)"
            } else if case .number(let milliseconds) = build?["durationMs"] {
                buildText = "\(Int(milliseconds.rounded())) ms" + (build?["ok"] == .bool(false) ? " (failed)" : "")
            }
            var version = "-"
            if case .number(let number) = endpoint["version"] { version = "v\(Int(number))" }
            rows.append([
                string(endpoint["id"]), route.isEmpty ? "-" : route, string(endpoint["state"]), version, buildText,
            ])
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for (index, row) in rows.enumerated() {
            var line = "  "
            for column in 0..<5 {
                let cell = column == 4 ? row[column] : row[column].padding(to: widths[column] + 2)
                if index == 0 {
                    line += style.dim(cell)
                } else if column == 2 {
                    line += row[column] == "loaded" ? style.green(cell) : style.red(cell)
                } else {
                    line += cell
                }
            }
            text += line + "\n"
        }
        return text + "\n"
    }

    private static func string(_ value: JSONValue?) -> String {
        if case .string(let text) = value { return text }
        return "-"
    }

    private static func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items) = value else { return [] }
        return items.map { string($0) }
    }
}
