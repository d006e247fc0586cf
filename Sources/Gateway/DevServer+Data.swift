import DataServices
import EdgeHTTP
import EdgeSDK
import EdgeSystem
import HandlerBuild

extension ProjectServices {
    /// The services of `project`: its data in `dataDirectory` (`.edge/data` by default), its
    /// migrations in `handlers/_migrations`, paths shown relative to the project folder.
    public convenience init(project: Project, dataDirectory: String? = nil) {
        self.init(
            dataDirectory: dataDirectory ?? FilePath.join(project.edgeDirectory, "data"),
            handlersDirectory: project.handlersDirectory, display: { project.displayPath($0) })
    }
}

/// The data behind `ctx`: what `/_edge/data` and the dashboard show, and the resets they (and
/// `edge-dev db reset`, `edge-dev state reset`) ask for.
extension DevServer {
    /// Every endpoint's `ctx.state`, by endpoint.
    func stateStores() -> [(String, StateStore)] {
        state.withLock { $0.records.map { ($0.key, $0.value.store) } }.sorted { $0.0 < $1.0 }
    }

    /// `/_edge/data`: databases with their tables and first rows, cache keys with their time to
    /// live, stored objects with their sizes, and each endpoint's `ctx.state` keys and values.
    public func dataDocument() -> JSONValue {
        let databases = services.databaseNames().map { services.inspectDatabase($0) }
        return .object([
            (
                "databases",
                .array(
                    databases.map { database in
                        .object([
                            ("name", .string(database.name)), ("bytes", JSONValue(database.bytes)),
                            ("migrationsApplied", JSONValue(database.migrationsApplied)),
                            ("migrationError", JSONValue(database.migrationFailure?.description)),
                            (
                                "tables",
                                .array(
                                    database.tables.map { table in
                                        .object([
                                            ("name", .string(table.name)), ("rows", JSONValue(table.rowCount)),
                                            ("columns", .array(table.columns.map { .string($0) })),
                                            ("firstRows", .array(table.firstRows.map { .array($0.map(Self.json)) })),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
            (
                "cache",
                .array(
                    services.cacheEntries().map { entry in
                        .object([
                            ("cache", .string(entry.cache)), ("key", .string(entry.key)),
                            ("ttlSeconds", entry.expiresIn.map { JSONValue(($0 * 10).rounded() / 10) } ?? .null),
                            ("bytes", JSONValue(entry.bytes)),
                        ])
                    })
            ),
            (
                "storage",
                .array(
                    services.storedObjects().map { object in
                        .object([
                            ("store", .string(object.store)), ("key", .string(object.key)),
                            ("bytes", JSONValue(object.bytes)), ("contentType", .string(object.contentType)),
                        ])
                    })
            ),
            (
                "state",
                .array(
                    stateStores().flatMap { endpoint, store in
                        store.encodedValues.map { key, json in
                            .object([
                                ("endpoint", .string(endpoint)), ("key", .string(key)),
                                ("value", .string(String(decoding: json.prefix(2000), as: UTF8.self))),
                                ("bytes", JSONValue(json.count)),
                            ])
                        }
                    })
            ),
        ])
    }

    /// The services line of the status document: names and sizes only.
    func servicesSummary() -> StatusDocument.Services {
        StatusDocument.Services(
            databases: services.databaseNames().map { name in
                let view = services.inspectDatabase(name, rowsPerTable: 0)
                return .init(
                    name: name, bytes: view.bytes, tables: view.tables.count, migrations: view.migrationsApplied,
                    error: view.migrationFailure?.description)
            },
            cacheKeys: services.cacheKeyCount(),
            storageObjects: services.storedObjectCount(),
            stateKeys: stateStores().reduce(0) { $0 + $1.1.keys.count },
            bytes: services.dataBytes())
    }

    static func json(_ value: SQLValue) -> JSONValue {
        switch value {
        case .null: .null
        case .integer(let number): JSONValue(Int(number))
        case .real(let number): JSONValue(number)
        case .text(let text): .string(text.count > 200 ? String(text.prefix(200)) + "..." : text)
        case .blob(let bytes): .string("<\(bytes.count) bytes>")
        }
    }

    /// A reset asked for by the dashboard or the command line: what it removed, or why not.
    public enum ResetKind: String, Sendable {
        case database, cache, storage, state
    }

    public func reset(_ kind: ResetKind, name: String, key: String?) -> Result<String, HandlerError> {
        switch kind {
        case .database:
            guard services.databaseNames().contains(name) else { return .failure(.notFound("no database '\(name)'")) }
            let outcome = services.resetDatabase(name)
            if let outcome { reportMigrations(name, outcome) }
            report(.handlerLog("edge-dev: database \(name) reset"))
            return .success("database \(name) reset (\(outcome?.applied.count ?? 0) migrations applied again)")
        case .cache:
            let count = services.resetCache(name, key: key)
            return .success("removed \(count) key\(count == 1 ? "" : "s") of cache \(name)")
        case .storage:
            let count = services.resetStorage(name, key: key)
            return .success("removed \(count) object\(count == 1 ? "" : "s") of storage \(name)")
        case .state:
            guard let store = state.withLock({ $0.records[name]?.store }) else {
                return .failure(.notFound("no endpoint '\(name)'"))
            }
            return store.reset(of: name, key: key)
        }
    }

    /// `POST /_edge/data/reset` with `{"kind": "database|cache|storage|state", "name": ..., "key": ...}`.
    func answerReset(_ incoming: IncomingRequest) -> Response {
        guard incoming.request.headers.first("Content-Type")?.lowercased().hasPrefix("application/json") == true else {
            return ErrorPage.response(.badRequest("send JSON (Content-Type: application/json)"), for: incoming)
        }
        guard let body = try? JSONValue.parse(incoming.request.text), case .string(let kindName)? = body["kind"],
            let kind = ResetKind(rawValue: kindName), case .string(let name)? = body["name"]
        else {
            return ErrorPage.response(
                .badRequest("expected {\"kind\": \"database|cache|storage|state\", \"name\": ..., \"key\": ...}"),
                for: incoming)
        }
        var key: String?
        if case .string(let given)? = body["key"] { key = given }
        switch reset(kind, name: name, key: key) {
        case .success(let message):
            return Self.page(JSONValue.object([("reset", .string(message))]).serialized, type: "application/json")
        case .failure(let error):
            return ErrorPage.response(error, for: incoming)
        }
    }
}
