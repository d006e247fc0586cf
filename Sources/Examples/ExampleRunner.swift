import EdgeHTTP
import EdgeSystem

/// Runs the entries of a `.hurl` file in order against a server, carrying captures from one
/// entry to the next; stops at the first failure.
public enum ExampleRunner {
    public struct Outcome: Sendable, Equatable {
        public var file: String
        public var requests: Int
        /// `file:line: message`, nil when every entry passed.
        public var failure: String?
        public var durationMilliseconds: Double
        public var passed: Bool { failure == nil }

        public init(file: String, requests: Int, failure: String?, durationMilliseconds: Double) {
            self.file = file
            self.requests = requests
            self.failure = failure
            self.durationMilliseconds = durationMilliseconds
        }
    }

    /// `headers` go on every request (the dev server's scratch-namespace header, say);
    /// `variables` start the templates (`base` is the server's URL).
    public static func run(
        _ file: HurlFile, host: String = "127.0.0.1", port: Int, headers extra: [(String, String)] = [],
        variables: [String: String] = [:], timeoutSeconds: Int = 35
    ) -> Outcome {
        let start = MonotonicClock.nanoseconds()
        var variables = variables
        variables["base"] = variables["base"] ?? "http://\(host):\(port)"
        var outcome = Outcome(file: file.path, requests: 0, failure: nil, durationMilliseconds: 0)
        func fail(_ line: Int, _ message: String) -> Outcome {
            outcome.failure = "\(file.path):\(line): \(message)"
            outcome.durationMilliseconds = MonotonicClock.milliseconds(since: start)
            return outcome
        }
        for entry in file.entries {
            let url: String
            let headers: [(String, String)]
            let body: String?
            do throws(TemplateError) {
                url = try render(entry.url, variables)
                var rendered: [(String, String)] = []
                for header in entry.headers { rendered.append((header.name, try render(header.value, variables))) }
                headers = rendered
                if let given = entry.body { body = try render(given, variables) } else { body = nil }
            } catch {
                return fail(entry.line, "undefined variable {{\(error.name)}} (captures and base are defined)")
            }
            var target = url
            var targetHost = host
            var targetPort = port
            if url.hasPrefix("http://") {
                let rest = url.dropFirst("http://".count)
                let authority = rest.prefix { $0 != "/" }
                target = String(rest.dropFirst(authority.count))
                if target.isEmpty { target = "/" }
                let parts = authority.split(separator: ":")
                targetHost = parts.first.map(String.init) ?? host
                if targetHost == "localhost" { targetHost = "127.0.0.1" }
                targetPort = parts.count > 1 ? Int(parts[1]) ?? 80 : 80
                guard targetHost == "127.0.0.1" || targetHost == "::1" || targetHost == "[::1]" else {
                    return fail(
                        entry.line, "examples talk to this machine only (a path, or http://localhost:...); got \(url)")
                }
            } else if !url.hasPrefix("/") {
                return fail(entry.line, "the URL must be a path (/todos) or http://...; got \(url)")
            }
            let response: (status: Int, headers: [(String, String)], body: [UInt8])
            do {
                // The run's own headers go to this server only.
                response = try LocalHTTPClient.exchange(
                    host: targetHost, port: targetPort, method: entry.method, target: target,
                    headers: headers + (targetPort == port ? extra : []), body: Array((body ?? "").utf8),
                    timeoutSeconds: timeoutSeconds)
            } catch {
                return fail(entry.line, "the request failed: \(error)")
            }
            outcome.requests += 1
            if let expected = entry.status, expected != response.status {
                let text = String(decoding: response.body.prefix(200), as: UTF8.self)
                return fail(entry.statusLine, "expected status \(expected), got \(response.status) (\(text))")
            }
            let answer = Answer(status: response.status, headers: response.headers, body: response.body)
            for expected in entry.responseHeaders {
                guard let rendered = try? render(expected.value, variables) else {
                    return fail(expected.line, "undefined variable in the header value")
                }
                let actual = answer.header(expected.name)
                if actual != rendered {
                    return fail(expected.line, "expected header \(expected.name): \(rendered), got \(actual ?? "none")")
                }
            }
            for capture in entry.captures {
                guard let value = answer.evaluate(capture.query) else {
                    return fail(capture.line, "capture \(capture.name): nothing found")
                }
                variables[capture.name] = value.text
            }
            for assertion in entry.asserts {
                var expected = assertion.value
                if case .string(let text)? = expected {
                    guard let rendered = try? render(text, variables) else {
                        return fail(assertion.line, "undefined variable in \(assertion.text)")
                    }
                    expected = .string(rendered)
                }
                if let problem = check(assertion, expected: expected, answer) {
                    return fail(assertion.line, "assert failed: \(assertion.text) (\(problem))")
                }
            }
        }
        outcome.durationMilliseconds = MonotonicClock.milliseconds(since: start)
        return outcome
    }

    struct TemplateError: Error {
        var name: String
    }

    /// `{{name}}` replaced by its value.
    static func render(_ text: String, _ variables: [String: String]) throws(TemplateError) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            let after = rest[open.upperBound...]
            guard let close = after.firstRange(of: "}}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let name = after[..<close.lowerBound].trimmed
            guard let value = variables[name] else { throw TemplateError(name: name) }
            out += value
            rest = after[close.upperBound...]
        }
        return out + rest
    }

    /// A value a query found: JSON, or text (a header, the body).
    enum Found {
        case json(JSONValue)
        case text(String)

        var text: String {
            switch self {
            case .text(let text): text
            case .json(.string(let text)): text
            case .json(let value): value.serialized
            }
        }
    }

    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        /// The body as JSON, parsed once for every jsonpath query; nil when it is not JSON.
        let document: JSONValue?

        init(status: Int, headers: [(String, String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
            document = try? JSONValue.parse(String(decoding: body, as: UTF8.self))
        }

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        func evaluate(_ query: HurlFile.Query) -> Found? {
            switch query {
            case .status: return .json(JSONValue(status))
            case .header(let name): return header(name).map(Found.text)
            case .body: return .text(String(decoding: body, as: UTF8.self))
            case .jsonPath(let path):
                guard let document else { return nil }
                return path.value(in: document).map(Found.json)
            }
        }
    }

    /// Why the assertion does not hold, or nil when it does.
    static func check(_ assertion: HurlFile.Assert, expected: HurlFile.Value?, _ answer: Answer) -> String? {
        let found = answer.evaluate(assertion.query)
        if case .jsonPath = assertion.query, answer.document == nil { return "the body is not JSON" }
        if assertion.predicate == .exists { return found == nil ? "nothing there" : nil }
        guard let found else { return "nothing there" }
        let actual = describe(found)
        switch assertion.predicate {
        case .equals, .notEquals:
            let same = matches(found, expected)
            return same == (assertion.predicate == .equals) ? nil : "actual \(actual)"
        case .contains:
            guard case .string(let needle)? = expected else { return "contains takes a string" }
            if case .json(.array(let items)) = found {
                return items.contains(.string(needle)) ? nil : "actual \(actual)"
            }
            return found.text.contains(needle) ? nil : "actual \(actual)"
        case .startsWith:
            guard case .string(let prefix)? = expected else { return "startsWith takes a string" }
            return found.text.hasPrefix(prefix) ? nil : "actual \(actual)"
        case .matches:
            guard case .string(let pattern)? = expected else { return "matches takes a string" }
            guard let regex = try? Regex(pattern) else { return "'\(pattern)' is not a regular expression" }
            return found.text.contains(regex) ? nil : "actual \(actual)"
        case .exists:
            return nil
        }
    }

    static func matches(_ found: Found, _ expected: HurlFile.Value?) -> Bool {
        switch (found, expected) {
        case (.json(.string(let a)), .string(let b)?), (.text(let a), .string(let b)?): a == b
        case (.json(.number(let a)), .number(let b)?): a == b
        case (.json(.bool(let a)), .bool(let b)?): a == b
        case (.json(.null), .null?): true
        case (.text(let a), .number(let b)?): Double(a) == b
        default: false
        }
    }

    static func describe(_ found: Found) -> String {
        let text: String =
            switch found {
            case .json(let value): value.serialized
            case .text(let text): "\"\(text)\""
            }
        return text.count > 120 ? String(text.prefix(120)) + "..." : text
    }
}
