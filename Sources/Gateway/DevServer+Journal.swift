import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Examples
import Glibc
import HandlerRuntime

/// The request journal: recording what handler endpoints answered, `/_edge/requests`, and
/// replaying a recorded request on any kept version.
extension DevServer {
    /// Records one answered (or failed) request and announces it on the event stream (not the
    /// terminal: the access log says it there).
    func journal(
        _ incoming: IncomingRequest, _ response: Response?, endpoint: String, version: Int, started: UInt64,
        failure: String? = nil
    ) {
        guard let journal else { return }
        let entry = JournalEntry(
            incoming, response, endpoint: endpoint, version: version, started: started, failure: failure)
        journal.record(entry)
        // The summary holds no bodies: the local copy says what the journal kept.
        if events.hasSubscribers { events.publish(.request(entry.summaryJSON)) }
    }

    /// `GET /_edge/requests?endpoint=&status=&method=&limit=`: newest first.
    func answerRequests(_ incoming: IncomingRequest) -> Response {
        guard let journal else {
            return ErrorPage.response(.notFound("the request journal is off (--no-journal)"), for: incoming)
        }
        let query = incoming.request
        let endpoint = query.query("endpoint")
        let status = query.query("status").flatMap { Int($0) }
        let method = query.query("method")?.uppercased()
        let limit = query.query("limit").flatMap { Int($0) } ?? 200
        let found = journal.entries(
            where: { entry in
                (endpoint == nil || entry.endpoint == endpoint) && (status == nil || entry.status == status)
                    && (method == nil || entry.method == method)
            }, limit: max(1, limit))
        let usage = journal.usage
        return Self.page(
            JSONValue.object([
                ("requests", .array(found.map(\.summaryJSON))),
                (
                    "journal",
                    .object([
                        ("entries", JSONValue(usage.entries)), ("bytes", JSONValue(usage.bytes)),
                        ("maxEntries", JSONValue(journal.limits.maxEntries)),
                        ("maxBytes", JSONValue(journal.limits.maxBytes)),
                    ])
                ),
            ]).serialized, type: "application/json")
    }

    /// `GET /_edge/requests/<id>` and `POST /_edge/requests/<id>/replay`.
    func answerRequest(_ incoming: IncomingRequest, path: String) -> Reply {
        let rest = path.dropFirst("/_edge/requests/".count)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard let journal, let first = parts.first, let id = Int(first), let entry = journal.entry(id) else {
            return .now(
                ErrorPage.response(
                    .notFound("no request \(rest) in the journal (it keeps the last ones only)"), for: incoming),
                tag: "_edge")
        }
        if parts.count == 1, incoming.request.method == "GET" {
            var document = entry.detailJSON
            if case .object(var members) = document {
                members.append(
                    ("keptVersions", .array(registry.keptVersions(of: entry.endpoint).map { JSONValue($0) })))
                document = .object(members)
            }
            return .now(Self.page(document.serialized, type: "application/json"), tag: "_edge")
        }
        if incoming.request.method == "POST",
            incoming.request.headers.first("Content-Type")?.lowercased().hasPrefix("application/json") != true
        {
            // A form post from another site could not set this type without a CORS preflight.
            return .now(
                ErrorPage.response(.badRequest("send JSON (Content-Type: application/json)"), for: incoming),
                tag: "_edge")
        }
        if parts.count == 2, parts[1] == "example", incoming.request.method == "POST" {
            return .now(saveExample(entry, incoming), tag: "_edge")
        }
        guard parts.count == 2, parts[1] == "replay", incoming.request.method == "POST" else {
            return .now(
                ErrorPage.response(.methodNotAllowed("GET /_edge/requests/<id> or POST …/<id>/replay"), for: incoming),
                tag: "_edge")
        }
        return replay(entry, incoming)
    }

    /// Sends the recorded request to a kept version (the serving one unless the body says
    /// `{"version": N}`) under the crash barrier, and answers both responses with their diff.
    func replay(_ entry: JournalEntry, _ incoming: IncomingRequest) -> Reply {
        var version = registry.handler(for: entry.endpoint)?.version
        if !incoming.request.body.isEmpty {
            guard let body = try? JSONValue.parse(incoming.request.text) else {
                return .now(
                    ErrorPage.response(.badRequest("the body must be JSON: {\"version\": N}"), for: incoming),
                    tag: "_edge")
            }
            if case .number(let asked)? = body["version"] {
                guard let exact = Int(exactly: asked) else {
                    return .now(
                        ErrorPage.response(.badRequest("\"version\" must be a whole number"), for: incoming),
                        tag: "_edge")
                }
                version = exact
            }
        }
        guard !entry.bodyTruncated else {
            return .now(
                ErrorPage.response(
                    .conflict(
                        "request \(entry.id)'s body was kept truncated (\(entry.body.count) of \(entry.bodySize) bytes): "
                            + "replaying it would send another request"), for: incoming), tag: "_edge")
        }
        guard state.withLock({ $0.records[entry.endpoint] != nil }) else {
            return .now(
                ErrorPage.response(.notFound("endpoint \(entry.endpoint) is gone"), for: incoming), tag: "_edge")
        }
        let kept = registry.keptVersions(of: entry.endpoint)
        guard let version, let handler = registry.keptVersion(entry.endpoint, version) else {
            let list = kept.map { "v\($0)" }.joined(separator: ", ")
            return .now(
                ErrorPage.response(
                    .notFound(
                        "version \(version.map(String.init) ?? "?") of \(entry.endpoint) is not kept; kept: "
                            + (list.isEmpty ? "none" : list)), for: incoming), tag: "_edge")
        }
        var parameters: [String: String] = [:]
        if case .found(_, let found) = state.withLock({
            $0.routes.match(method: entry.method == "HEAD" ? "GET" : entry.method, path: entry.path)
        }) {
            parameters = found
        }
        let request = Request(
            method: entry.method == "HEAD" ? "GET" : entry.method, path: entry.path, queryItems: entry.queryItems,
            headers: HTTPHeaders(entry.headers), body: entry.body, pathParameters: parameters,
            requestID: "replay-\(entry.id)-\(incoming.request.requestID)", clientAddress: nil)
        let store = state.withLock { $0.records[entry.endpoint]?.store } ?? StateStore()
        let env = state.withLock { $0.records[entry.endpoint]?.env } ?? Environment()
        let requestGuard = handler.acquireForReplay()
        let original = Self.side(
            version: entry.version, status: entry.status, headers: entry.responseHeaders, body: entry.responseBody,
            size: entry.responseBodySize)
        return .later(
            Reply.Deferred(
                tag: "replay \(handler.tag)", timeout: handlerTimeout,
                work: {
                    let context = Context(
                        endpointID: handler.endpointID, version: handler.version, requestID: request.requestID,
                        logSink: self.logSink, state: store, env: env, services: self.services)
                    let response = await self.registry.execute(requestGuard, context: context, request: request)
                    return Self.replayAnswer(
                        original: original,
                        replayed: Self.side(
                            version: version, status: response.status, headers: response.headers.fields,
                            body: response.body, size: response.body.count),
                        diff: ResponseDiff.json(
                            status: (entry.status, response.status),
                            headers: (entry.responseHeaders, response.headers.fields),
                            // A recorded body kept truncated is compared with as much of the new one.
                            body: (
                                entry.responseBody,
                                entry.responseTruncated
                                    ? Array(response.body.prefix(entry.responseBody.count)) : response.body
                            )))
                },
                failure: { failure in
                    requestGuard.release()
                    if case .crashed = failure { self.services.reclaim(owner: request.requestID) }
                    let message: String
                    switch failure {
                    case .crashed(let crash): message = crash.summary
                    case .timedOut(let after): message = "timed out after \(Self.seconds(after))"
                    }
                    var replayed = Self.side(
                        version: version, status: 500, headers: [], body: Array(message.utf8), size: message.utf8.count)
                    if case .object(var members) = replayed {
                        members.append(("failure", .string(message)))
                        replayed = .object(members)
                    }
                    return Self.replayAnswer(
                        original: original, replayed: replayed,
                        diff: .object([
                            ("same", false),
                            ("status", .object([("original", JSONValue(entry.status)), ("replayed", 500)])),
                        ]))
                }))
    }

    /// `POST /_edge/requests/<id>/example`: writes the request as
    /// `handlers/<endpoint>/examples/<method>-<path>-<id>.hurl` with its status and body.
    func saveExample(_ entry: JournalEntry, _ incoming: IncomingRequest) -> Response {
        let text = HurlWriter.example(
            method: entry.method, target: entry.target, headers: entry.headers.map { ($0.name, $0.value) },
            body: entry.bodyTruncated ? nil : String(validating: entry.body, as: UTF8.self), status: entry.status,
            responseBody: entry.responseTruncated ? nil : String(validating: entry.responseBody, as: UTF8.self))
        let slug = entry.path.unicodeScalars.map { scalar -> String in
            let c = Character(scalar)
            return c.isASCII && (c.isLetter || c.isNumber) ? String(c) : "-"
        }.joined().split(separator: "-").joined(separator: "-")
        let folder = FilePath.join(project.endpointDirectory(entry.endpoint), "examples")
        let stem = "\(entry.method.lowercased())-\(slug.isEmpty ? "root" : slug)-\(entry.id)"
        var path = FilePath.join(folder, "\(stem).hurl")
        var suffix = 2
        while FilePath.exists(path) {  // ids start again with each run: never overwrite a saved one
            path = FilePath.join(folder, "\(stem)-\(suffix).hurl")
            suffix += 1
        }
        do {
            try FilePath.createDirectories(folder)
            try FilePath.write(text, to: path)
        } catch {
            return ErrorPage.response(.internal("cannot write \(project.displayPath(path)): \(error)"), for: incoming)
        }
        return Self.page(
            JSONValue.object([("saved", .string(project.displayPath(path))), ("text", .string(text))]).serialized,
            type: "application/json")
    }

    static func side(version: Int, status: Int, headers: [HTTPHeaders.Field], body: [UInt8], size: Int) -> JSONValue {
        let encoded = JournalEntry.body(body, size: size)
        return .object([
            ("version", JSONValue(version)), ("status", JSONValue(status)), ("headers", JournalEntry.json(headers)),
            ("body", encoded["text"] ?? encoded["base64"] ?? .null),
            ("bodyEncoding", encoded["text"] != nil ? "text" : "base64"),
        ])
    }

    static func replayAnswer(original: JSONValue, replayed: JSONValue, diff: JSONValue) -> Response {
        page(
            JSONValue.object([("replayed", replayed), ("original", original), ("diff", diff)]).serialized,
            type: "application/json")
    }
}
