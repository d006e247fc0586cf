import EdgeSystem

/// `manifest.json` of a bundle: what `edge-dev bundle` built and `serve --bundle` loads.
///
/// Paths are relative to the bundle folder, so the folder can be copied anywhere. Each
/// endpoint's and module's `hash` is over its inputs (sources, the modules it imports, the
/// toolchain, how edge-dev builds), so building unchanged sources again gives the same hashes,
/// and a reload swaps exactly the endpoints whose hash changed.
public struct BundleManifest: Sendable, Equatable {
    public static let format = "edge-dev-bundle/1"

    public struct Endpoint: Sendable, Equatable {
        public var id: String
        /// The version the library was built as (from its hash: module names must differ
        /// between any two builds that one process may load).
        public var version: Int
        public var hash: String
        public var library: String
        /// The shared modules it imports, dependencies first.
        public var modules: [String]
        /// Its `endpoint.json` defaults (`env`), before the process environment.
        public var env: [String: String]
        public var methods: [String]
        public var paths: [String]
    }

    public struct Module: Sendable, Equatable {
        public var name: String
        public var version: Int
        public var hash: String
        public var library: String
    }

    public var toolchain: String
    public var endpoints: [Endpoint]
    public var modules: [Module]
    /// The Swift runtime libraries copied from the toolchain, under `lib/`.
    public var runtime: [String]
    /// Migration files under `_migrations/`, as `<database>/<file>.sql`.
    public var migrations: [String]

    public var json: JSONValue {
        .object([
            ("format", .string(Self.format)),
            ("toolchain", .string(toolchain)),
            (
                "endpoints",
                .array(
                    endpoints.map { endpoint in
                        .object([
                            ("id", .string(endpoint.id)), ("version", JSONValue(endpoint.version)),
                            ("hash", .string(endpoint.hash)), ("library", .string(endpoint.library)),
                            ("modules", .array(endpoint.modules.map { .string($0) })),
                            (
                                "env",
                                .object(endpoint.env.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
                            ),
                            ("methods", .array(endpoint.methods.map { .string($0) })),
                            ("paths", .array(endpoint.paths.map { .string($0) })),
                        ])
                    })
            ),
            (
                "modules",
                .array(
                    modules.map { module in
                        .object([
                            ("name", .string(module.name)), ("version", JSONValue(module.version)),
                            ("hash", .string(module.hash)), ("library", .string(module.library)),
                        ])
                    })
            ),
            ("runtime", .array(runtime.map { .string($0) })),
            ("migrations", .array(migrations.map { .string($0) })),
        ])
    }

    /// Reads `manifest.json` of `bundle`; the error names the file and the problem.
    public static func read(bundle: String) throws(BundleError) -> BundleManifest {
        let file = FilePath.join(bundle, "manifest.json")
        let document: JSONValue
        do {
            document = try JSONValue.parse(try FilePath.readText(file))
        } catch {
            throw BundleError("\(file): \(error)")
        }
        func fail(_ message: String) -> BundleError { BundleError("\(file): \(message)") }
        guard document["format"]?.stringValue == format else {
            throw fail(
                "not a bundle of this edge-dev (format \(document["format"]?.serialized ?? "missing"), expected \(format))"
            )
        }
        func strings(_ value: JSONValue?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }
        var endpoints: [Endpoint] = []
        for item in document["endpoints"]?.arrayValue ?? [] {
            guard let id = item["id"]?.stringValue, let hash = item["hash"]?.stringValue,
                let library = item["library"]?.stringValue, let version = item["version"]?.intValue
            else { throw fail("an endpoint without id, version, hash or library") }
            var env: [String: String] = [:]
            if case .object(let members)? = item["env"] {
                for (key, value) in members { env[key] = value.stringValue }
            }
            endpoints.append(
                Endpoint(
                    id: id, version: version, hash: hash, library: library, modules: strings(item["modules"]), env: env,
                    methods: strings(item["methods"]), paths: strings(item["paths"])))
        }
        var modules: [Module] = []
        for item in document["modules"]?.arrayValue ?? [] {
            guard let name = item["name"]?.stringValue, let hash = item["hash"]?.stringValue,
                let library = item["library"]?.stringValue, let version = item["version"]?.intValue
            else { throw fail("a module without name, version, hash or library") }
            modules.append(Module(name: name, version: version, hash: hash, library: library))
        }
        guard let toolchain = document["toolchain"]?.stringValue else { throw fail("no toolchain") }
        return BundleManifest(
            toolchain: toolchain, endpoints: endpoints, modules: modules, runtime: strings(document["runtime"]),
            migrations: strings(document["migrations"]))
    }
}

/// A bundle that cannot be built or served, in words that name the problem.
public struct BundleError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
