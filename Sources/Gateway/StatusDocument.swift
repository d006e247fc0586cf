import EdgeSystem
import HandlerBuild
import HandlerRuntime

/// The `/_edge/status` document, typed: what the dashboard, the event stream's `snapshot`,
/// `edge-dev routes` and the start-up summary read. `json` keeps the keys in this order.
public struct StatusDocument: Sendable, Equatable {
    public struct Endpoint: Sendable, Equatable {
        public var id: String
        public var state: EndpointState
        /// The serving version, if any.
        public var version: Int?
        public var methods: [String]
        /// The first route pattern (all of them are in `paths`).
        public var path: String?
        public var paths: [String]
        public var activeRequests: Int
        public var drainingVersions: [Int]
        public var drainingRequests: Int
        public var lastBuild: Build?
        public var routeError: Diagnostic?
        public var crashes: Int
        public var lastCrash: Crash?
    }

    public struct Build: Sendable, Equatable {
        public var ok: Bool
        public var durationMilliseconds: Double
        /// When it finished, seconds since the epoch.
        public var time: Int
        /// The library an earlier run built from the same sources, used again.
        public var reused: Bool
        public var diagnostics: [Diagnostic]
    }

    public struct Crash: Sendable, Equatable {
        public var message: String
        /// Seconds since the epoch.
        public var time: Int
        public var version: Int
        /// `handlers/<id>/src/<file>:<line>:<column>`, once the line tables have been read.
        public var location: String?
    }

    public var endpoints: [Endpoint]
    public var stats: RegistryStats
    public var gatewayPID: Int
    /// How often the supervisor has restarted the gateway.
    public var restarts: Int
}

extension StatusDocument {
    public var json: JSONValue {
        .object([
            ("endpoints", .array(endpoints.map(\.json))),
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

extension Diagnostic {
    /// A diagnostic as the status document, the events and the dashboard carry it.
    public var json: JSONValue {
        .object([
            ("file", JSONValue(file)),
            ("line", JSONValue(line)),
            ("column", JSONValue(column)),
            ("severity", .string(severity.rawValue)),
            ("message", .string(message)),
            ("notes", .array(notes.map(\.json))),
        ])
    }
}
