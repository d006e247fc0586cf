import EdgeSystem
import HandlerBuild

/// What `handlers/<id>/endpoint.json` says: the methods and paths an endpoint answers.
///
/// ```json
/// { "method": "GET", "path": "/hello/{name}" }
/// { "method": ["GET", "POST"], "path": ["/todos", "/todos/{id}"] }
/// { "method": "*", "path": "/files/{rest...}" }
/// ```
/// Without a manifest an endpoint answers any method at `/<id>`.
public struct EndpointManifest: Equatable, Sendable {
    /// nil: any method.
    public var methods: Set<String>?
    public var patterns: [RoutePattern]
    /// Whether HTML responses get the live-reload script (`"liveReload": false` opts out).
    public var liveReload = true
    /// Configuration defaults (`"env": {"KEY": "value"}`), under `.env` and `.env.local`: for
    /// values that are not secret and can live in git.
    public var env: [String: String] = [:]

    public static let knownMethods: [String] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    public init(methods: Set<String>?, patterns: [RoutePattern]) {
        self.methods = methods
        self.patterns = patterns
    }

    /// The manifest of an endpoint without `endpoint.json`.
    public static func implicit(_ endpointID: String) -> EndpointManifest {
        EndpointManifest(methods: nil, patterns: [try! RoutePattern("/\(endpointID)")])
    }

    /// Methods for display: sorted, or `["*"]`.
    public var methodList: [String] {
        methods.map { set in Self.knownMethods.filter(set.contains) + set.subtracting(Self.knownMethods).sorted() }
            ?? ["*"]
    }

    /// The manifest of endpoint `id`: its `endpoint.json`, or the implicit one when it has none.
    public static func load(_ id: String, in project: Project) throws(ManifestError) -> EndpointManifest {
        let path = project.manifestPath(id)
        guard FilePath.exists(path) else { return .implicit(id) }
        let file = project.displayPath(path)
        let text: String
        do {
            text = try FilePath.readText(path)
        } catch {
            throw ManifestError(file: file, message: "cannot read: \(error)")
        }
        return try parse(text, file: file)
    }

    /// Parses `text`, the content of the file shown to the user as `file`.
    public static func parse(_ text: String, file: String) throws(ManifestError) -> EndpointManifest {
        let document: JSONValue
        do {
            document = try JSONValue.parse(text)
        } catch {
            throw ManifestError(
                file: file, line: error.line, column: error.column, message: "invalid JSON: \(error.message)")
        }
        guard case .object(let members) = document else {
            throw ManifestError(
                file: file, message: "expected a JSON object like {\"method\": \"GET\", \"path\": \"/hello\"}")
        }
        for (key, _) in members where !["method", "path", "liveReload", "env"].contains(key) {
            throw ManifestError(
                file: file,
                message: "unknown key '\(key)' (expected 'method', 'path', and optionally 'liveReload' and 'env')")
        }
        var env: [String: String] = [:]
        if let value = document["env"] {
            guard case .object(let entries) = value else {
                throw ManifestError(
                    file: file, message: "'env' must be an object of strings, like {\"KEY\": \"value\"}")
            }
            for (key, item) in entries {
                guard DotEnv.isValidKey(key) else {
                    throw ManifestError(file: file, message: "'env': '\(key)' is not a valid key (\(DotEnv.keyRule))")
                }
                guard case .string(let text) = item else {
                    throw ManifestError(file: file, message: "'env': the value of '\(key)' must be a string")
                }
                env[key] = text
            }
        }
        var liveReload = true
        if let value = document["liveReload"] {
            guard case .bool(let flag) = value else {
                throw ManifestError(file: file, message: "'liveReload' must be true or false")
            }
            liveReload = flag
        }

        var methods: Set<String>? = nil
        if let value = document["method"] {
            let names = try strings(value, key: "method", file: file)
            if names.contains("*") {
                guard names.count == 1 else {
                    throw ManifestError(file: file, message: "'method': '*' cannot be combined with other methods")
                }
            } else {
                var set: Set<String> = []
                for name in names {
                    let upper = name.uppercased()
                    guard knownMethods.contains(upper) else {
                        throw ManifestError(
                            file: file,
                            message:
                                "unknown method '\(name)' (expected one of \(knownMethods.joined(separator: ", ")) or \"*\")"
                        )
                    }
                    set.insert(upper)
                }
                methods = set
            }
        }
        guard let pathValue = document["path"] else {
            throw ManifestError(file: file, message: "missing 'path' (for example \"path\": \"/hello\")")
        }
        var patterns: [RoutePattern] = []
        for path in try strings(pathValue, key: "path", file: file) {
            do {
                patterns.append(try RoutePattern(path))
            } catch {
                throw ManifestError(file: file, message: error.message)
            }
        }
        var manifest = EndpointManifest(methods: methods, patterns: patterns)
        manifest.liveReload = liveReload
        manifest.env = env
        return manifest
    }

    private static func strings(_ value: JSONValue, key: String, file: String) throws(ManifestError) -> [String] {
        switch value {
        case .string(let text): return [text]
        case .array(let items) where !items.isEmpty:
            var result: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw ManifestError(file: file, message: "'\(key)' must be a string or a list of strings")
                }
                result.append(text)
            }
            return result
        default:
            throw ManifestError(file: file, message: "'\(key)' must be a string or a non-empty list of strings")
        }
    }
}

/// A problem with an endpoint's manifest or route, naming the file and, where known, the place.
public struct ManifestError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { diagnostic.formatted }

    public var diagnostic: Diagnostic {
        Diagnostic(file: file, line: line, column: column, severity: .error, message: message)
    }
}
