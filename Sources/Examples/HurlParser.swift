/// Reads a `.hurl` file into entries, or names the first line outside the supported subset.
public enum HurlParser {
    public static func parse(_ text: String, path: String) throws(HurlFile.SyntaxError) -> HurlFile {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.hasSuffix("\r") ? $0.dropLast() : $0)
        }
        if lines.last == "" { lines.removeLast() }
        var index = 0
        var entries: [HurlFile.Entry] = []
        func fail(_ message: String, _ line: Int) -> HurlFile.SyntaxError {
            HurlFile.SyntaxError(file: path, line: line, message: message)
        }
        func isBlankOrComment(_ line: String) -> Bool {
            let trimmed = line.trimmed
            return trimmed.isEmpty || trimmed.hasPrefix("#")
        }
        while index < lines.count {
            if isBlankOrComment(lines[index]) {
                index += 1
                continue
            }
            // The request line.
            let requestLine = lines[index].trimmed
            let words = requestLine.split(separator: " ", maxSplits: 1).map(String.init)
            guard words.count == 2, HurlFile.methods.contains(words[0]) else {
                throw fail("expected a request line (METHOD URL), got '\(requestLine.prefix(60))'", index + 1)
            }
            var entry = HurlFile.Entry(
                line: index + 1, method: words[0], url: words[1].trimmed, headers: [], body: nil, status: nil,
                statusLine: 0, responseHeaders: [], captures: [], asserts: [])
            index += 1
            // Headers, then an optional body, until the HTTP line.
            while index < lines.count {
                let line = lines[index]
                let trimmed = line.trimmed
                if trimmed.hasPrefix("HTTP") { break }
                if trimmed.hasPrefix("#") || trimmed.isEmpty {
                    index += 1
                    continue
                }
                if isSection(trimmed) {
                    throw fail(
                        "section \(trimmed) is not supported in a request (edge-dev supports headers and a body)",
                        index + 1)
                }
                if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
                    // JSON: up to the HTTP line.
                    var body: [String] = []
                    while index < lines.count, !lines[index].trimmed.hasPrefix("HTTP") {
                        body.append(lines[index])
                        index += 1
                    }
                    while body.last.map({ $0.trimmed.isEmpty || $0.trimmed.hasPrefix("#") }) == true {
                        body.removeLast()
                    }
                    entry.body = body.joined(separator: "\n")
                    break
                }
                if trimmed.hasPrefix("```") {
                    let start = index + 1
                    index += 1
                    var body: [String] = []
                    while index < lines.count, lines[index].trimmed != "```" {
                        body.append(lines[index])
                        index += 1
                    }
                    guard index < lines.count else { throw fail("a ``` body is not closed", start) }
                    index += 1
                    entry.body = body.joined(separator: "\n")
                    continue
                }
                if trimmed.hasPrefix("`") && trimmed.hasSuffix("`") && trimmed.count >= 2 {
                    entry.body = String(trimmed.dropFirst().dropLast())
                    index += 1
                    continue
                }
                guard let colon = line.firstIndex(of: ":"), !line[..<colon].trimmed.isEmpty,
                    !line[..<colon].contains(" ")
                else {
                    throw fail(
                        "expected a header (Name: value), a body or an HTTP line, got '\(trimmed.prefix(60))'",
                        index + 1)
                }
                guard entry.body == nil else { throw fail("a header after the body", index + 1) }
                entry.headers.append((line[..<colon].trimmed, line[line.index(after: colon)...].trimmed))
                index += 1
            }
            guard index < lines.count else {
                throw fail("the request has no response line (HTTP <status>)", entry.line)
            }
            // The response line.
            let statusWords = lines[index].trimmed.split(separator: " ").map(String.init)
            entry.statusLine = index + 1
            guard statusWords.count == 2, statusWords[0] == "HTTP" else {
                throw fail("expected 'HTTP <status>' (HTTP/1.1 and HTTP/2 are not in the subset)", index + 1)
            }
            if statusWords[1] == "*" {
                entry.status = nil
            } else if let status = Int(statusWords[1]), (100...599).contains(status) {
                entry.status = status
            } else {
                throw fail("'\(statusWords[1])' is not a status (HTTP 200, or HTTP *)", index + 1)
            }
            index += 1
            // Response headers, then sections, until the next request line.
            var section = ""
            while index < lines.count {
                let trimmed = lines[index].trimmed
                if trimmed.isEmpty || trimmed.hasPrefix("#") {
                    index += 1
                    continue
                }
                let first = trimmed.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
                if HurlFile.methods.contains(first) { break }
                if isSection(trimmed) {
                    guard trimmed == "[Asserts]" || trimmed == "[Captures]" else {
                        throw fail(
                            "section \(trimmed) is not supported (edge-dev supports [Captures] and [Asserts])",
                            index + 1)
                    }
                    section = trimmed
                    index += 1
                    continue
                }
                switch section {
                case "[Asserts]":
                    entry.asserts.append(try assertion(trimmed, line: index + 1, path: path))
                case "[Captures]":
                    guard let colon = trimmed.firstIndex(of: ":") else {
                        throw fail("expected a capture (name: query)", index + 1)
                    }
                    let name = trimmed[..<colon].trimmed
                    var rest = Substring(trimmed[trimmed.index(after: colon)...].trimmed)
                    let query = try self.query(&rest, line: index + 1, path: path)
                    guard rest.trimmed.isEmpty else {
                        throw fail("filters on a capture are not supported: '\(rest.trimmed)'", index + 1)
                    }
                    entry.captures.append(HurlFile.Capture(name: name, query: query, line: index + 1))
                default:
                    guard let colon = trimmed.firstIndex(of: ":") else {
                        throw fail("expected a response header (Name: value) or a section", index + 1)
                    }
                    entry.responseHeaders.append(
                        (trimmed[..<colon].trimmed, trimmed[trimmed.index(after: colon)...].trimmed, index + 1))
                }
                index += 1
            }
            entries.append(entry)
        }
        return HurlFile(path: path, entries: entries)
    }

    /// `[Asserts]`, `[QueryStringParams]`: a section header, not a JSON array.
    static func isSection(_ line: String) -> Bool {
        line.count > 2 && line.hasPrefix("[") && line.hasSuffix("]")
            && line.dropFirst().dropLast().allSatisfy { $0.isLetter }
    }

    static func assertion(_ text: String, line: Int, path: String) throws(HurlFile.SyntaxError) -> HurlFile.Assert {
        var rest = Substring(text)
        let query = try self.query(&rest, line: line, path: path)
        rest = Substring(rest.trimmed)
        if rest.hasPrefix("not ") {
            throw HurlFile.SyntaxError(
                file: path, line: line, message: "'not' is not supported; use != or a positive assert")
        }
        let word = rest.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        guard let predicate = HurlFile.Predicate(rawValue: word) else {
            throw HurlFile.SyntaxError(
                file: path, line: line,
                message: "predicate '\(word)' is not supported (==, !=, contains, startsWith, matches, exists)")
        }
        rest = Substring(rest.dropFirst(word.count).trimmed)
        var value: HurlFile.Value?
        if predicate != .exists {
            value = try literal(String(rest), line: line, path: path)
        } else if !rest.isEmpty {
            throw HurlFile.SyntaxError(file: path, line: line, message: "exists takes no value")
        }
        if predicate == .matches || predicate == .contains || predicate == .startsWith {
            guard case .string = value else {
                throw HurlFile.SyntaxError(file: path, line: line, message: "\(word) takes a string")
            }
        }
        return HurlFile.Assert(query: query, predicate: predicate, value: value, line: line, text: text)
    }

    /// A query at the start of `rest` (consumed).
    static func query(_ rest: inout Substring, line: Int, path: String) throws(HurlFile.SyntaxError) -> HurlFile.Query {
        rest = Substring(rest.trimmed)
        for (word, makesQuery) in [("status", 0), ("body", 1)] where rest == word || rest.hasPrefix(word + " ") {
            rest = rest.dropFirst(word.count)
            return makesQuery == 0 ? .status : .body
        }
        for word in ["header", "jsonpath"] where rest.hasPrefix(word + " ") {
            rest = Substring(rest.dropFirst(word.count).trimmed)
            guard rest.hasPrefix("\""), let end = rest.dropFirst().firstIndex(of: "\"") else {
                throw HurlFile.SyntaxError(file: path, line: line, message: "\(word) takes a quoted argument")
            }
            let argument = String(rest[rest.index(after: rest.startIndex)..<end])
            rest = rest[rest.index(after: end)...]
            if word == "jsonpath" {
                return .jsonPath(try JSONPath(argument, line: line, file: path))
            }
            return .header(argument)
        }
        let word = rest.split(separator: " ").first.map(String.init) ?? ""
        throw HurlFile.SyntaxError(
            file: path, line: line, message: "query '\(word)' is not supported (status, header, body, jsonpath)")
    }

    static func literal(_ text: String, line: Int, path: String) throws(HurlFile.SyntaxError) -> HurlFile.Value {
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if text == "null" { return .null }
        if let number = Double(text) { return .number(number) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 {
            var out = ""
            var escaped = false
            for character in text.dropFirst().dropLast() {
                if escaped {
                    out.append(character == "n" ? "\n" : character == "t" ? "\t" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    out.append(character)
                }
            }
            return .string(out)
        }
        throw HurlFile.SyntaxError(
            file: path, line: line, message: "expected a value (\"text\", a number, true, false or null), got '\(text)'"
        )
    }
}

extension StringProtocol {
    var trimmed: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
