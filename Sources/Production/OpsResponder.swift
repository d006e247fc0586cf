import EdgeHTTP
import EdgeSDK
import EdgeSystem

/// The ops listener (`--ops-address`, 127.0.0.1:9090 by default): what load balancers,
/// supervisors and Prometheus ask, kept off the public port, which serves handlers only.
///   GET /health/live    200 while the process serves at all
///   GET /health/ready   200 once every endpoint of the bundle is loaded, else 503
///   GET /metrics        the Prometheus text exposition
///   GET /status         endpoints with their versions (the shape of dev's /_edge/status)
///   GET /requests[/ID]  the journal, with `--journal` (secrets in headers shown as ••••)
public struct OpsResponder: HTTPResponder {
    let server: ProductionServer

    public init(server: ProductionServer) { self.server = server }

    public func reply(to incoming: consuming IncomingRequest) -> Reply {
        let request = incoming.request
        guard request.method == "GET" else {
            var response = Response.error(.methodNotAllowed("the ops listener answers GET only"))
            response.headers.set("Allow", "GET, HEAD")
            return .now(response, tag: nil)
        }
        switch request.path {
        case "/health/live":
            return .now(.text("live\n"), tag: nil)
        case "/health/ready":
            return .now(server.isReady ? .text("ready\n") : .text("not ready\n", status: 503), tag: nil)
        case "/metrics":
            var response = Response.text(server.metrics.text)
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return .now(response, tag: nil)
        case "/requests":
            guard let journal = server.journal else {
                return .now(
                    .error(.notFound("the request journal is off (serve --bundle --journal turns it on)")), tag: nil)
            }
            let limit = request.query("limit").flatMap { Int($0) } ?? 200
            let found = journal.entries(limit: max(1, limit))
            return .now(Self.json(.object([("requests", .array(found.map(\.summaryJSON)))])), tag: nil)
        case let path where path.hasPrefix("/requests/"):
            guard let id = Int(path.dropFirst("/requests/".count)), let entry = server.journal?.entry(id) else {
                return .now(.error(.notFound("no journaled request \(path.dropFirst("/requests/".count))")), tag: nil)
            }
            return .now(Self.json(entry.detailJSON), tag: nil)
        case "/status":
            return .now(Self.json(server.statusJSON), tag: nil)
        default:
            return .now(
                .error(.notFound("no ops page \(request.path): try /health/live, /health/ready, /metrics, /status")),
                tag: nil)
        }
    }

    static func json(_ value: JSONValue) -> Response {
        var response = Response(status: 200, body: Array((value.serialized + "\n").utf8))
        response.headers.set("Content-Type", "application/json")
        return response
    }
}
