import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Glibc
import Synchronization

/// The `/_edge/` pages: status, dashboard, its fragment and the event stream, for loopback
/// clients only.
extension DevServer {
    // MARK: - /_edge/

    func answerInternal(_ incoming: IncomingRequest) -> Reply {
        guard incoming.isLoopback else {
            return .now(
                ErrorPage.response(.forbidden("/_edge/ is only answered to loopback clients"), for: incoming),
                tag: "_edge")
        }
        if let refusal = EdgeOrigin.refusal(for: incoming, listenHost: listenHost) {
            return .now(ErrorPage.response(.forbidden(refusal), for: incoming), tag: "_edge")
        }
        let path = incoming.request.path
        if path.hasPrefix("/_edge/requests/") {
            return answerRequest(incoming, path: path)
        }
        if path == "/_edge/data/reset" {
            guard incoming.request.method == "POST" else {
                return .now(
                    ErrorPage.response(.methodNotAllowed("use POST"), for: incoming).withHeader("Allow", "POST"),
                    tag: "_edge")
            }
            return .now(answerReset(incoming), tag: "_edge")
        }
        guard incoming.request.method == "GET" else {
            return .now(
                ErrorPage.response(.methodNotAllowed("use GET"), for: incoming).withHeader("Allow", "GET, HEAD"),
                tag: "_edge")
        }
        switch path {
        case "/_edge/status":
            return .now(Self.page(status().serialized, type: "application/json"), tag: "_edge")
        case "/_edge/", "/_edge":
            return .now(
                Self.page(
                    Dashboard.page(
                        status: statusDocument(services: false).json, data: dataDocument(), project: project),
                    type: "text/html"),
                tag: "_edge")
        case "/_edge/fragment":
            return .now(
                Self.page(
                    Dashboard.fragment(
                        status: statusDocument(services: false).json, data: dataDocument(), project: project),
                    type: "text/html"),
                tag: "_edge")
        case "/_edge/events":
            return eventStream()
        case "/_edge/requests":
            return .now(answerRequests(incoming), tag: "_edge")
        case "/_edge/data":
            return .now(Self.page(dataDocument().serialized, type: "application/json"), tag: "_edge")
        default:
            return .now(
                ErrorPage.response(.notFound("no such edge-dev page: \(path)"), for: incoming), tag: "_edge")
        }
    }

    static func page(_ text: String, type: String) -> Response {
        Response(
            status: 200, headers: ["Content-Type": "\(type); charset=utf-8", "Cache-Control": "no-store"],
            body: Array(text.utf8))
    }

    /// `/_edge/events`: the current state first (a `snapshot` event holding the status document),
    /// then every event as it happens.
    func eventStream() -> Reply {
        let head = Response(
            status: 200,
            headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"],
            body: Array("retry: 1000\n\n".utf8))
        return .stream(head, tag: "_edge") { writer in
            let id = self.events.subscribe { frame in writer.write(frame) }
            writer.onClose { self.events.unsubscribe(id) }
            writer.write(
                EventHub.frame(
                    .object([
                        ("type", "snapshot"), ("time", .string(ISOTime.format(time(nil)))), ("status", self.status()),
                    ])))
        }
    }
}
