/// A file of examples in the subset of the Hurl format (hurl.dev) that edge-dev runs: so the same
/// files run with Hurl itself.
///
/// ```
/// # create a todo, then read it back
/// POST /todos
/// Content-Type: application/json
/// {"title": "milk"}
/// HTTP 201
/// [Captures]
/// id: jsonpath "$.id"
/// [Asserts]
/// jsonpath "$.title" == "milk"
///
/// GET /todos/{{id}}
/// HTTP 200
/// ```
///
/// Supported: a request line (method and URL; a path is resolved against the server), request
/// headers, a body (JSON starting with `{` or `[`, a ```` ``` ```` block, or a `` `one line` ``),
/// `HTTP <status>` (or `HTTP *`), expected response headers, `[Captures]` and `[Asserts]` with
/// the queries `status`, `header "Name"`, `body`, `jsonpath "$.a.b[0]"` and the predicates `==`,
/// `!=`, `contains`, `startsWith`, `matches`, `exists`, and `{{name}}` templates. Anything else
/// is an error naming its line, never ignored.
public struct HurlFile: Sendable, Equatable {
    public var path: String
    public var entries: [Entry]

    public struct Entry: Sendable, Equatable {
        public var line: Int
        public var method: String
        public var url: String
        public var headers: [(name: String, value: String)]
        public var body: String?
        /// The `HTTP` line: nil for `*`.
        public var status: Int?
        public var statusLine: Int
        public var responseHeaders: [(name: String, value: String, line: Int)]
        public var captures: [Capture]
        public var asserts: [Assert]

        public static func == (a: Entry, b: Entry) -> Bool {
            a.line == b.line && a.method == b.method && a.url == b.url && a.body == b.body && a.status == b.status
                && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
                && a.captures == b.captures && a.asserts == b.asserts
        }
    }

    public enum Query: Sendable, Equatable {
        case status
        case header(String)
        case body
        /// Compiled once, when the file is read.
        case jsonPath(JSONPath)
    }

    public struct Capture: Sendable, Equatable {
        public var name: String
        public var query: Query
        public var line: Int
    }

    public enum Predicate: String, Sendable, Equatable {
        case equals = "=="
        case notEquals = "!="
        case contains
        case startsWith
        case matches
        case exists
    }

    /// A literal in an assert: a string, a number, a boolean or null.
    public enum Value: Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    public struct Assert: Sendable, Equatable {
        public var query: Query
        public var predicate: Predicate
        public var value: Value?
        public var line: Int
        /// The assert as written, for failure messages.
        public var text: String
    }

    /// A construct outside the subset, or a malformed line.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): error: \(message)" }
    }

    public static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
}
