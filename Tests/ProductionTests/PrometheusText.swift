import EdgeSystem

/// A strict reader of the Prometheus text exposition format (0.0.4), enough to check ours:
/// every sample line is `name{label="value",...} number`, every family has HELP and TYPE lines
/// before its samples, and no series appears twice.
enum PrometheusText {
    static func parse(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        var typed: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ")
                guard words.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(words[3])
                else { throw SystemError("bad TYPE line: \(line)", code: 0) }
                typed.insert(String(words[2]))
                continue
            }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw SystemError("bad sample line: '\(line)'", code: 0)
            }
            let series = String(line[..<space])
            let name = String(series.prefix { $0 != "{" })
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }), !name.isEmpty else {
                throw SystemError("bad metric name in '\(line)'", code: 0)
            }
            let family = ["_bucket", "_sum", "_count"].reduce(name) {
                $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0
            }
            guard typed.contains(name) || typed.contains(family) else {
                throw SystemError("sample before its TYPE line: '\(line)'", code: 0)
            }
            if series.contains("{") {
                guard series.hasSuffix("}") else { throw SystemError("unclosed labels in '\(line)'", code: 0) }
            }
            guard samples[series] == nil else { throw SystemError("series twice: \(series)", code: 0) }
            samples[series] = value
        }
        return samples
    }
}
