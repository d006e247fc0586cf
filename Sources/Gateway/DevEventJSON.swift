import EdgeSystem
import Glibc

extension DevEvent {
    /// The event as one JSON object for `/_edge/events`; its `type` says which event it is.
    /// A build that swapped gives two objects: `build-succeeded`, then `swapped`.
    public var jsonObjects: [JSONValue] {
        switch self {
        case .buildStarted(let id):
            return [Self.object("build-started", id)]
        case .buildSucceeded(let id, let version, let milliseconds, let swap):
            var objects = [
                Self.object(
                    "build-succeeded", id,
                    [("version", JSONValue(version)), ("durationMs", Self.rounded(milliseconds))])
            ]
            if let swap {
                objects.append(
                    Self.object(
                        "swapped", id,
                        [
                            ("from", swap.oldVersion.map { JSONValue($0) } ?? .null),
                            ("to", JSONValue(swap.newVersion)),
                            ("draining", JSONValue(swap.draining ? swap.oldRequestsPending : 0)),
                        ]))
            }
            return objects
        case .buildFailed(let id, let diagnostics, let milliseconds, let serving):
            return [
                Self.object(
                    "build-failed", id,
                    [
                        ("durationMs", Self.rounded(milliseconds)),
                        ("diagnostics", .array(diagnostics.map(\.json))),
                        ("serving", serving.map { JSONValue($0) } ?? .null),
                    ])
            ]
        case .routeError(let id, let error):
            return [Self.object("route-error", id, [("diagnostic", error.diagnostic.json)])]
        case .routesChanged(let id):
            return [Self.object("routes-changed", id)]
        case .endpointAdded(let id):
            return [Self.object("endpoint-added", id)]
        case .endpointRemoved(let id):
            return [Self.object("endpoint-removed", id)]
        case .retired(let id, let version, let reason):
            let type = reason == .drained ? "drained" : "retired"
            return [Self.object(type, id, [("version", JSONValue(version)), ("reason", .string(reason.rawValue))])]
        case .handlerLog(let line):
            return [.object([("type", "log"), ("time", Self.now), ("line", .string(line))])]
        case .crashed(let id, let version, let crash, let location):
            return [
                Self.object(
                    "crashed", id,
                    [
                        ("version", JSONValue(version)), ("message", .string(crash.summary)),
                        ("location", JSONValue(location)),
                    ])
            ]
        case .timedOut(let id, let version, let after):
            return [
                Self.object(
                    "timed-out", id,
                    [("version", JSONValue(version)), ("afterMs", JSONValue(Int(after.nanoseconds / 1_000_000)))])
            ]
        case .libraryBuilt(let name, let version, let milliseconds, let dependents):
            return [
                .object([
                    ("type", "library-built"), ("time", .string(ISOTime.format(time(nil)))), ("library", .string(name)),
                    ("version", JSONValue(version)), ("durationMs", Self.rounded(milliseconds)),
                    ("dependents", .array(dependents.map { .string($0) })),
                ])
            ]
        case .libraryFailed(let name, let diagnostics, let milliseconds, let serving, let dependents):
            return [
                .object([
                    ("type", "library-failed"), ("time", .string(ISOTime.format(time(nil)))),
                    ("library", .string(name)),
                    ("diagnostics", .array(diagnostics.map(\.json))), ("durationMs", Self.rounded(milliseconds)),
                    ("serving", JSONValue(serving)), ("dependents", .array(dependents.map { .string($0) })),
                ])
            ]
        case .configurationChanged(let files, let added, let changed, let removed):
            return [
                .object([
                    ("type", "configuration-changed"), ("time", .string(ISOTime.format(time(nil)))),
                    ("files", .array(files.map { .string($0) })), ("added", .array(added.map { .string($0) })),
                    ("changed", .array(changed.map { .string($0) })), ("removed", .array(removed.map { .string($0) })),
                ])
            ]
        case .examplesRan(let endpoint, let version, let passed, let total, let failure, let milliseconds):
            return [
                .object([
                    ("type", "examples"), ("time", .string(ISOTime.format(time(nil)))), ("endpoint", .string(endpoint)),
                    ("version", JSONValue(version)), ("passed", JSONValue(passed)), ("total", JSONValue(total)),
                    ("failure", JSONValue(failure)), ("durationMs", JSONValue((milliseconds * 10).rounded() / 10)),
                ])
            ]
        case .request(let summary):
            guard case .object(let members) = summary else { return [] }
            return [.object([("type", "request")] + members)]
        case .migrationsApplied(let database, let names):
            return [
                .object([
                    ("type", "migrations-applied"), ("time", .string(ISOTime.format(time(nil)))),
                    ("database", .string(database)), ("migrations", .array(names.map { .string($0) })),
                ])
            ]
        case .migrationFailed(let database, let file, let line, let message):
            return [
                .object([
                    ("type", "migration-failed"), ("time", .string(ISOTime.format(time(nil)))),
                    ("database", .string(database)), ("file", .string(file)), ("line", JSONValue(line)),
                    ("message", .string(message)),
                ])
            ]
        case .configurationFailed(let file, let line, let message):
            return [
                .object([
                    ("type", "configuration-failed"), ("time", .string(ISOTime.format(time(nil)))),
                    ("file", .string(file)), ("line", JSONValue(line)), ("message", .string(message)),
                ])
            ]
        }
    }

    private static func object(_ type: String, _ endpoint: String, _ more: [(String, JSONValue)] = []) -> JSONValue {
        .object([("type", .string(type)), ("endpoint", .string(endpoint)), ("time", now)] + more)
    }

    private static func rounded(_ milliseconds: Double) -> JSONValue {
        JSONValue((milliseconds * 10).rounded() / 10)
    }

    private static var now: JSONValue { .string(ISOTime.format(time(nil))) }
}
