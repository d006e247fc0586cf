import EdgeSystem
import HandlerBuild
import HandlerRuntime

/// The `/_edge/status` document, typed; `json` is what `/_edge/status`, the event stream's
/// `snapshot`, the dashboard, `edge-dev routes` and the start-up summary read, keys in this order.
package struct StatusDocument: Sendable, Equatable {
    package struct Endpoint: Sendable, Equatable {
        package var id: String
        package var state: EndpointState
        /// The serving version, if any.
        package var version: Int?
        package var methods: [String]
        /// The first route pattern (all of them are in `paths`).
        package var path: String?
        package var paths: [String]
        package var activeRequests: Int
        package var drainingVersions: [Int]
        package var drainingRequests: Int
        package var lastBuild: Build?
        package var routeError: Diagnostic?
        package var crashes: Int
        package var lastCrash: Crash?
        /// The last run of the endpoint's examples.
        package var examples: Examples? = nil
    }

    package struct Examples: Sendable, Equatable {
        package var version: Int
        package var passed: Int
        package var total: Int
        package var failure: String?
        package var milliseconds: Double
    }

    package struct Build: Sendable, Equatable {
        package var ok: Bool
        package var durationMilliseconds: Double
        /// When it finished, seconds since the epoch.
        package var time: Int
        /// The library an earlier run built from the same sources, used again.
        package var reused: Bool
        package var diagnostics: [Diagnostic]
    }

    package struct Crash: Sendable, Equatable {
        package var message: String
        /// Seconds since the epoch.
        package var time: Int
        package var version: Int
        /// `handlers/<id>/src/<file>:<line>:<column>`, once the line tables have been read.
        package var location: String?
    }

    /// `.env` and `.env.local`: which files were read and the keys they set, never the values.
    package struct Configuration: Sendable, Equatable {
        package var files: [String]
        package var keys: [String]
        /// `.env:3: expected KEY=value` while the previous configuration stays in force.
        package var error: String?
    }

    package var configuration = Configuration(files: [], keys: [], error: nil)

    /// A shared module (`handlers/_lib/<id>`): `loaded` while a build serves its dependents.
    package struct Library: Sendable, Equatable {
        package var id: String
        package var state: EndpointState
        package var version: Int?
        package var lastBuild: Build?
        /// The endpoints that import it, directly or through another module.
        package var dependents: [String]
    }

    package var libraries: [Library] = []

    /// What `ctx.database`, `ctx.cache`, `ctx.storage` and `ctx.state` hold: names and sizes.
    package struct Services: Sendable, Equatable {
        package struct Database: Sendable, Equatable {
            package var name: String
            package var bytes: Int
            package var tables: Int
            package var migrations: Int
            package var error: String?
        }
        package var databases: [Database] = []
        package var cacheKeys = 0
        package var storageObjects = 0
        package var stateKeys = 0
        /// Everything under `.edge/data`.
        package var bytes = 0
    }

    package var services = Services()
    package var endpoints: [Endpoint]
    package var stats: RegistryStats
    package var gatewayPID: Int
    /// How often the supervisor has restarted the gateway.
    package var restarts: Int
}

extension StatusDocument {
    package var json: JSONValue {
        .object([
            ("endpoints", .array(endpoints.map(\.json))),
            (
                "libraries",
                .array(
                    libraries.map { library in
                        .object([
                            ("id", .string(library.id)), ("state", .string(library.state.rawValue)),
                            ("version", JSONValue(library.version)), ("lastBuild", library.lastBuild?.json ?? .null),
                            ("dependents", .array(library.dependents.map { .string($0) })),
                        ])
                    })
            ),
            (
                "stats",
                .object([
                    ("loadedCount", JSONValue(stats.loadedCount)),
                    ("drainingCount", JSONValue(stats.drainingCount)),
                    ("activeRequests", JSONValue(stats.activeRequests)),
                    ("drainingRequests", JSONValue(stats.drainingRequests)),
                ])
            ),
            ("gateway", .object([("pid", JSONValue(gatewayPID)), ("restarts", JSONValue(restarts))])),
            (
                "configuration",
                .object([
                    ("files", .array(configuration.files.map { .string($0) })),
                    ("keys", .array(configuration.keys.map { .string($0) })),
                    ("error", JSONValue(configuration.error)),
                ])
            ),
            (
                "services",
                .object([
                    (
                        "databases",
                        .array(
                            services.databases.map { database in
                                .object([
                                    ("name", .string(database.name)), ("bytes", JSONValue(database.bytes)),
                                    ("tables", JSONValue(database.tables)),
                                    ("migrations", JSONValue(database.migrations)),
                                    ("error", JSONValue(database.error)),
                                ])
                            })
                    ),
                    ("cacheKeys", JSONValue(services.cacheKeys)),
                    ("storageObjects", JSONValue(services.storageObjects)),
                    ("stateKeys", JSONValue(services.stateKeys)), ("bytes", JSONValue(services.bytes)),
                ])
            ),
        ])
    }
}

extension StatusDocument.Endpoint {
    var json: JSONValue {
        .object([
            ("id", .string(id)),
            ("state", .string(state.rawValue)),
            ("version", JSONValue(version)),
            ("methods", .array(methods.map { .string($0) })),
            ("path", JSONValue(path)),
            ("paths", .array(paths.map { .string($0) })),
            ("activeRequests", JSONValue(activeRequests)),
            ("drainingVersions", .array(drainingVersions.map { JSONValue($0) })),
            ("drainingRequests", JSONValue(drainingRequests)),
            ("lastBuild", lastBuild?.json ?? .null),
            ("routeError", routeError?.json ?? .null),
            ("crashes", JSONValue(crashes)),
            ("lastCrash", lastCrash?.json ?? .null),
            (
                "examples",
                examples.map {
                    .object([
                        ("version", JSONValue($0.version)), ("passed", JSONValue($0.passed)),
                        ("total", JSONValue($0.total)), ("failure", JSONValue($0.failure)),
                        ("durationMs", JSONValue(($0.milliseconds * 10).rounded() / 10)),
                    ])
                } ?? .null
            ),
        ])
    }
}

extension StatusDocument.Build {
    var json: JSONValue {
        .object([
            ("ok", .bool(ok)),
            ("durationMs", JSONValue((durationMilliseconds * 10).rounded() / 10)),
            ("time", .string(ISOTime.format(time))),
            ("reused", .bool(reused)),
            ("diagnostics", .array(diagnostics.map(\.json))),
        ])
    }
}

extension StatusDocument.Crash {
    var json: JSONValue {
        .object([
            ("message", .string(message)),
            ("time", .string(ISOTime.format(time))),
            ("version", JSONValue(version)),
            ("location", JSONValue(location)),
        ])
    }
}
