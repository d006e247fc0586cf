/// Every endpoint's routes, ordered so that the most specific pattern is tried first.
///
/// Immutable: the server swaps in a whole new table (atomically, under a lock) when endpoints
/// come and go, so a request sees either the old table or the new one.
public final class RouteTable: Sendable {
    public struct Route: Sendable {
        public let endpointID: String
        public let methods: Set<String>?
        public let pattern: RoutePattern

        func allows(_ method: String) -> Bool {
            guard let methods else { return true }
            return methods.contains(method) || (method == "HEAD" && methods.contains("GET"))
        }
    }

    public enum Match: Sendable {
        case found(endpointID: String, parameters: [String: String])
        /// The path matches routes, but none takes this method: a 405 with these in `Allow`.
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    public let routes: [Route]
    /// Routes without parameters by their path (`/todos`), when no route before them in order
    /// would match it: most requests are found with one lookup, without splitting the path
    /// (the scan cost 3.5% of the server's time under wrk on `/hello`).
    private let literalRoutes: [String: Int]

    public init(routes: [Route] = []) {
        let ordered = routes.enumerated().sorted { a, b in
            if a.element.pattern.isMoreSpecific(than: b.element.pattern) { return true }
            if b.element.pattern.isMoreSpecific(than: a.element.pattern) { return false }
            return a.offset < b.offset
        }.map(\.element)
        self.routes = ordered
        var literal: [String: Int] = [:]
        for (index, route) in ordered.enumerated() {
            guard let path = route.pattern.literalPath, literal[path] == nil else { continue }
            let segments = RoutePattern.segments(of: path)
            if ordered[..<index].allSatisfy({ $0.pattern.match(segments: segments) == nil }) { literal[path] = index }
        }
        literalRoutes = literal
    }

    /// Builds a table from manifests (sorted by endpoint id). An endpoint that claims a method
    /// and pattern already claimed by another is left out and reported, naming both.
    public static func build(
        _ manifests: [(id: String, manifest: EndpointManifest, file: String)]
    ) -> (table: RouteTable, conflicts: [String: ManifestError]) {
        var routes: [Route] = []
        var claims: [String: String] = [:]  // "METHOD shape" -> endpoint id
        var conflicts: [String: ManifestError] = [:]
        for entry in manifests.sorted(by: { $0.id < $1.id }) {
            var conflict: ManifestError?
            for pattern in entry.manifest.patterns {
                for method in entry.manifest.methods.map(Array.init) ?? ["*"] {
                    let key = "\(method) \(pattern.shape.joined(separator: "/"))"
                    let anyKey = "* \(pattern.shape.joined(separator: "/"))"
                    let owner =
                        claims[key] ?? claims[anyKey]
                        ?? (method == "*"
                            ? claims.first { $0.key.hasSuffix(" " + pattern.shape.joined(separator: "/")) }?.value
                            : nil)
                    if let owner, owner != entry.id, conflict == nil {
                        conflict = ManifestError(
                            file: entry.file,
                            message:
                                "route \(method) \(pattern) of endpoint '\(entry.id)' is already claimed by endpoint '\(owner)'"
                        )
                    }
                }
            }
            if let conflict {
                conflicts[entry.id] = conflict
                continue
            }
            for pattern in entry.manifest.patterns {
                for method in entry.manifest.methods.map(Array.init) ?? ["*"] {
                    claims["\(method) \(pattern.shape.joined(separator: "/"))"] = entry.id
                }
                routes.append(Route(endpointID: entry.id, methods: entry.manifest.methods, pattern: pattern))
            }
        }
        return (RouteTable(routes: routes), conflicts)
    }

    public func match(method: String, path: String) -> Match {
        let trimmed = path.utf8.count > 1 && path.utf8.last == UInt8(ascii: "/") ? String(path.dropLast()) : path
        if let index = literalRoutes[trimmed], routes[index].allows(method) {
            return .found(endpointID: routes[index].endpointID, parameters: [:])
        }
        var allowed: Set<String> = []
        var pathMatched = false
        let segments = RoutePattern.segments(of: path)
        for route in routes {
            guard let parameters = route.pattern.match(segments: segments) else { continue }
            if route.allows(method) { return .found(endpointID: route.endpointID, parameters: parameters) }
            pathMatched = true
            allowed.formUnion(route.methods ?? [])
        }
        guard pathMatched else { return .notFound }
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allowed: EndpointManifest.knownMethods.filter(allowed.contains))
    }
}
