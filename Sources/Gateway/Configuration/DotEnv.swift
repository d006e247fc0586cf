import HandlerBuild

/// `.env` files as the dotenv tools read them: `KEY=value` lines, `export KEY=value`, single
/// quotes (literal), double quotes (with `\n`, `\t`, `\r`, `\"` and `\\` escapes), `#` comments
/// (whole lines, or after a space following an unquoted value), blank lines.
///
/// A line that is none of those is an error naming `file:line`, and the caller keeps the
/// configuration it had: a half-applied file would be worse than a stale one.
enum DotEnv {
    struct Failure: Error, Equatable, CustomStringConvertible {
        var file: String
        var line: Int
        var message: String

        var description: String { "\(file):\(line): \(message)" }
    }

    static let keyRule = "letters, digits and '_', not starting with a digit"

    /// The same rule as a Swift identifier's (letters, digits and `_`, no leading digit).
    static func isValidKey(_ key: String) -> Bool { Project.isValidModuleName(key) }

    /// The assignments in `text` (the content of `file`), in order; a later one wins.
    static func parse(_ text: String, file: String) throws(Failure) -> [String: String] {
        var values: [String: String] = [:]
        // "\r\n" is one Character in Swift: split on it too, for files saved on Windows.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") {
                line = line.dropFirst(7).drop { $0 == " " || $0 == "\t" }
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw Failure(file: file, line: number, message: "expected KEY=value")
            }
            var key = line[..<equals]
            while key.last == " " || key.last == "\t" { key = key.dropLast() }
            guard isValidKey(String(key)) else {
                throw Failure(
                    file: file, line: number,
                    // The text is not echoed: a malformed line may be a pasted secret.
                    message: key.isEmpty ? "a line with '=' but no key" : "not a valid key before '=' (\(keyRule))")
            }
            let rest = line[line.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            values[String(key)] = try value(rest, file: file, line: number)
        }
        return values
    }

    private static func value(_ text: Substring, file: String, line: Int) throws(Failure) -> String {
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            // Unquoted: up to a ` #` comment, trailing blanks trimmed.
            var value = text
            if let hash = value.firstRange(of: " #") ?? value.firstRange(of: "\t#") {
                value = value[..<hash.lowerBound]
            }
            while value.last == " " || value.last == "\t" { value = value.dropLast() }
            return String(value)
        }
        var result = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let c = text[index]
            if c == quote {
                let after = text[text.index(after: index)...].drop { $0 == " " || $0 == "\t" }
                guard after.isEmpty || after.hasPrefix("#") else {
                    throw Failure(file: file, line: line, message: "unexpected text after the closing \(quote)")
                }
                return result
            }
            if c == "\\" && quote == "\"" {
                index = text.index(after: index)
                guard index < text.endIndex else { break }
                switch text[index] {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                default: result.append("\\"); result.append(text[index])
                }
            } else {
                result.append(c)
            }
            index = text.index(after: index)
        }
        throw Failure(file: file, line: line, message: "unterminated \(quote)-quoted value")
    }
}
