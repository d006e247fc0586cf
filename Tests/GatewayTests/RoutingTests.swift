import EdgeHTTP
import EdgeSDK
import EdgeSystem
import EdgeTestSupport
import Gateway
import HandlerBuild
import HandlerRuntime
import Testing

@Suite(.onOwnThreads) struct RoutingTests {
    func table(_ entries: [(String, String)]) throws -> RouteTable {
        let manifests = try entries.map { id, json in
            (
                id: id, manifest: try EndpointManifest.parse(json, file: "handlers/\(id)/endpoint.json"),
                file: "handlers/\(id)/endpoint.json"
            )
        }
        let (table, conflicts) = RouteTable.build(manifests)
        #expect(conflicts.isEmpty)
        return table
    }

    /// Paths without parameters are looked up directly; the answer must be what the ordered scan
    /// gives: another endpoint's method on the same path, a trailing slash, 405 with `Allow`.
    @Test func literalPathsAnswerAsTheOrderedScanWould() throws {
        let routes = try table([
            ("read", #"{"method": "GET", "path": "/items"}"#),
            ("write", #"{"method": "POST", "path": "/items"}"#),
            ("root", #"{"method": "GET", "path": "/"}"#),
        ])
        func endpoint(_ method: String, _ path: String) -> String? {
            if case .found(let id, _) = routes.match(method: method, path: path) { return id }
            return nil
        }
        #expect(endpoint("GET", "/items") == "read")
        #expect(endpoint("HEAD", "/items/") == "read")
        #expect(endpoint("POST", "/items") == "write")
        #expect(endpoint("GET", "/") == "root")
        #expect(endpoint("GET", "//items") == nil)
        guard case .methodNotAllowed(let allowed) = routes.match(method: "DELETE", path: "/items") else {
            Issue.record("DELETE /items should be 405")
            return
        }
        #expect(allowed == ["GET", "HEAD", "POST"])
    }

    @Test func staticSegmentsWinOverParametersAndRestCapturesTheRemainder() throws {
        let routes = try table([
            ("user", #"{"method": "GET", "path": "/users/{id}"}"#),
            ("me", #"{"method": "GET", "path": "/users/me"}"#),
            ("files", #"{"method": "*", "path": "/files/{rest...}"}"#),
            ("root", #"{"method": "GET", "path": "/"}"#),
        ])
        guard case .found("me", let none) = routes.match(method: "GET", path: "/users/me") else {
            Issue.record("static route lost")
            return
        }
        #expect(none.isEmpty)
        guard case .found("user", let parameters) = routes.match(method: "GET", path: "/users/42") else {
            Issue.record("parameter route lost")
            return
        }
        #expect(parameters == ["id": "42"])
        guard case .found("files", let rest) = routes.match(method: "DELETE", path: "/files/a/b/c.txt") else {
            Issue.record("rest route lost")
            return
        }
        #expect(rest == ["rest": "a/b/c.txt"])
        guard case .found("root", _) = routes.match(method: "GET", path: "/") else {
            Issue.record("root route lost")
            return
        }
        guard case .notFound = routes.match(method: "GET", path: "/users/42/extra") else {
            Issue.record("too long a path matched")
            return
        }
        guard case .methodNotAllowed(let allowed) = routes.match(method: "POST", path: "/users/42") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET", "HEAD"])
    }

    @Test func manifestErrorsNameTheFileAndPlace() {
        let file = "handlers/x/endpoint.json"
        #expect(
            throws: ManifestError(
                file: file, line: 2, column: 11, message: "invalid JSON: unexpected character 'x'; expected a value")
        ) {
            try EndpointManifest.parse("{\"method\": \"GET\",\n  \"path\": x}", file: file)
        }
        #expect(
            throws: ManifestError(
                file: file,
                message:
                    "unknown method 'FETCH' (expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or \"*\")")
        ) {
            try EndpointManifest.parse(#"{"method": "FETCH", "path": "/x"}"#, file: file)
        }
        #expect(throws: ManifestError(file: file, message: "path 'x' must start with '/'")) {
            try EndpointManifest.parse(#"{"path": "x"}"#, file: file)
        }
        #expect(
            throws: ManifestError(file: file, message: "path '/a/{rest...}/b': '{rest...}' must be the last segment")
        ) {
            try EndpointManifest.parse(#"{"path": "/a/{rest...}/b"}"#, file: file)
        }
        #expect(
            throws: ManifestError(
                file: file,
                message: "unknown key 'paht' (expected 'method', 'path', and optionally 'liveReload' and 'env')")
        ) {
            try EndpointManifest.parse(#"{"paht": "/a"}"#, file: file)
        }
        #expect(throws: ManifestError(file: file, message: "missing 'path' (for example \"path\": \"/hello\")")) {
            try EndpointManifest.parse(#"{"method": "GET"}"#, file: file)
        }
    }

    @Test func patternsRefuseSpacesAndControlCharacters() {
        #expect(throws: RoutePattern.SyntaxError.self) { try RoutePattern("/a b") }
        #expect(throws: RoutePattern.SyntaxError.self) { try RoutePattern("/a\nb") }
        #expect((try? RoutePattern("/a-b_c.d~e")) != nil)
    }

    @Test func twoEndpointsClaimingOneRouteIsAnErrorNamingBoth() throws {
        let a = try EndpointManifest.parse(
            #"{"method": "GET", "path": "/items/{id}"}"#, file: "handlers/a/endpoint.json")
        let b = try EndpointManifest.parse(
            #"{"method": ["GET", "PUT"], "path": "/items/{key}"}"#, file: "handlers/b/endpoint.json")
        let c = try EndpointManifest.parse(
            #"{"method": "POST", "path": "/items/{id}"}"#, file: "handlers/c/endpoint.json")
        let (table, conflicts) = RouteTable.build([
            (id: "b", manifest: b, file: "handlers/b/endpoint.json"),
            (id: "a", manifest: a, file: "handlers/a/endpoint.json"),
            (id: "c", manifest: c, file: "handlers/c/endpoint.json"),
        ])
        #expect(conflicts.keys.sorted() == ["b"])
        #expect(conflicts["b"]?.message == "route GET /items/{key} of endpoint 'b' is already claimed by endpoint 'a'")
        #expect(conflicts["b"]?.file == "handlers/b/endpoint.json")
        #expect(Set(table.routes.map(\.endpointID)) == ["a", "c"])
    }
}
