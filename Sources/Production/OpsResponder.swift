import EdgeHTTP
import EdgeSDK
import EdgeSystem

/// The ops listener (`--ops-address`, 127.0.0.1:9090 by default): what load balancers,
/// supervisors and Prometheus ask, kept off the public port, which serves handlers only.
///   GET /health/live    200 while the process serves at all
///   GET /health/ready   200 once every endpoint of the bundle is loaded, else 503
///   GET /metrics        the Prometheus text exposition
///   GET /status         endpoints with their versions (the shape of dev's /_edge/status)
public struct OpsResponder: HTTPResponder {
    let server: ProductionServer

    public init(server: ProductionServer) { self.server = server }

    public func reply(to incoming: IncomingRequest) -> Reply {
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
        case "/status":
            var response = Response(status: 200, body: Array((server.statusJSON.serialized + "\n").utf8))
            response.headers.set("Content-Type", "application/json")
            return .now(response, tag: nil)
        default:
            return .now(
                .error(.notFound("no ops page \(request.path): try /health/live, /health/ready, /metrics, /status")),
                tag: nil)
        }
    }
}
