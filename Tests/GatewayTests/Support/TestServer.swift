import EdgeHTTP
import EdgeTestSupport
import Gateway

/// A DevServer for a TestProject, served by a real HTTPServer on a free port.
package final class TestServer: Sendable {
    package let test: TestProject
    package let dev: DevServer
    package let server: HTTPServer
    package var port: Int { server.port }

    package init(
        samples: [String] = [], limits: HTTPLimits = HTTPLimits(), loops: Int = 2,
        prepare: (TestProject) throws -> Void = { _ in }
    ) async throws {
        test = try TestProject(samples: samples)
        try prepare(test)
        dev = DevServer(project: test.project, compiler: test.compiler, drainTimeout: .seconds(5))
        dev.discover()
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        configuration.limits = limits
        configuration.loops = loops
        configuration.accessLog = false
        server = try HTTPServer(configuration: configuration, responder: dev)
        try server.start()
        await dev.buildAll()
    }

    package func client() throws -> RawHTTPClient { try RawHTTPClient(port: port) }

    /// One request on a fresh connection.
    package func request(_ method: String, _ target: String, headers: [String] = [], body: String? = nil) throws
        -> RawHTTPClient.Reply
    {
        try RawHTTPClient.request(port: port, method, target, headers: headers, body: body)
    }

    package func stop() async { _ = await server.stop(grace: .seconds(5)) }
}
