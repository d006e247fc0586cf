import EdgeHTTP

/// DNS rebinding: a web page the user visits can point its own name at 127.0.0.1 and then read
/// whatever `/_edge/` answers it, from the user's browser. The connection is loopback, so that
/// check alone passes; the `Host` it sends is still the page's name. So `/_edge/` answers only a
/// `Host` that names this machine's loopback (`localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`) or
/// the address edge-dev listens on, and a state-changing request must also come from the
/// dashboard's own origin when it says where it comes from.
enum EdgeOrigin {
    /// Why `incoming` may not use `/_edge/`, or nil when it may.
    static func refusal(for incoming: IncomingRequest, listenHost: String) -> String? {
        let headers = incoming.request.headers
        if let host = headers.first("Host"), !isLocal(hostName(host), listenHost: listenHost) {
            return "/_edge/ answers only requests for localhost or \(listenHost), not '\(host)'"
        }
        let method = incoming.wireMethod
        if method != "GET" && method != "HEAD", let origin = headers.first("Origin") {
            let host = headers.first("Host") ?? ""
            guard origin.lowercased() == "http://" + host.lowercased() else {
                return "/_edge/ accepts \(method) only from its own dashboard, not from '\(origin)'"
            }
        }
        return nil
    }

    /// The host part of a `Host` value: `[::1]:8080` gives `::1`, `localhost:8080` `localhost`.
    static func hostName(_ host: String) -> String {
        if host.hasPrefix("[") {
            return String(host.dropFirst().prefix { $0 != "]" }).lowercased()
        }
        return String(host.prefix { $0 != ":" }).lowercased()
    }

    static func isLocal(_ name: String, listenHost: String) -> Bool {
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        if name == listenHost.lowercased() && listenHost != "0.0.0.0" && listenHost != "::" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { part in UInt8(part).map { _ in !part.isEmpty && part.count <= 3 } ?? false }
    }
}
