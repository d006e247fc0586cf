import EdgeSystem
import Glibc

extension DevServer {
    /// The `/_edge/status` document now.
    /// `services` false leaves the services' summary empty: it inspects every database, cache
    /// and storage folder, which the dashboard's pages get from the data document anyway.
    package func statusDocument(services includeServices: Bool = true) -> StatusDocument {
        let (recordsByID, configuration, configurationError, libraries, graph) = state.withLock {
            ($0.records, $0.configuration, $0.configurationError, $0.libraries, $0.graph)
        }
        let records = recordsByID.sorted { $0.key < $1.key }
        let endpoints = records.map { id, record -> StatusDocument.Endpoint in
            let handler = registry.handler(for: id)
            let draining = registry.drainingVersions(of: id)
            return StatusDocument.Endpoint(
                id: id, state: record.manifestError != nil ? .error : registry.state(of: id),
                version: handler?.version, methods: record.manifest?.methodList ?? [],
                path: record.manifest?.patterns.first?.description,
                paths: (record.manifest?.patterns ?? []).map(\.description),
                activeRequests: handler?.activeRequests ?? 0, drainingVersions: draining.map(\.version),
                drainingRequests: draining.reduce(0) { $0 + $1.activeRequests },
                lastBuild: record.lastBuild.map {
                    StatusDocument.Build(
                        ok: $0.ok, durationMilliseconds: $0.milliseconds, time: $0.time, reused: $0.reused,
                        diagnostics: $0.diagnostics)
                },
                routeError: record.manifestError?.diagnostic, crashes: record.crashes,
                lastCrash: record.lastCrash.map {
                    StatusDocument.Crash(message: $0.message, time: $0.time, version: $0.version, location: $0.location)
                },
                examples: record.examples.map {
                    StatusDocument.Examples(
                        version: $0.version, passed: $0.passed, total: $0.total, failure: $0.failure,
                        milliseconds: $0.milliseconds)
                })
        }
        var document = StatusDocument(
            endpoints: endpoints, stats: registry.stats(), gatewayPID: Int(getpid()), restarts: restarts)
        document.libraries = libraries.sorted { $0.key < $1.key }.map { name, record in
            StatusDocument.Library(
                id: name,
                state: record.failed ? .error : record.serving != nil ? .loaded : .created,
                version: record.serving?.version,
                lastBuild: record.lastBuild.map {
                    StatusDocument.Build(
                        ok: $0.ok, durationMilliseconds: $0.milliseconds, time: $0.time, reused: $0.reused,
                        diagnostics: $0.diagnostics)
                },
                dependents: graph.dependentEndpoints(of: name))
        }
        document.configuration = StatusDocument.Configuration(
            files: configuration.files, keys: configuration.values.keys.sorted(),
            error: configurationError.map(\.description))
        if includeServices { document.services = servicesSummary() }
        return document
    }

    /// The `/_edge/status` document as JSON.
    public func status() -> JSONValue { statusDocument().json }
}
