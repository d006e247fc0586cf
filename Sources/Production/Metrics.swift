import EdgeSystem
import Gateway
import Synchronization

/// What `/metrics` reports, in the Prometheus text exposition format (version 0.0.4): requests
/// by endpoint, method and status class, a latency histogram per endpoint, requests in flight,
/// swaps, reloads, crashes, timeouts and build info. Counting takes one short lock per request.
public final class Metrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct RequestKey: Hashable {
        var endpoint: String
        var method: String
        var status: String
    }

    private struct Latency {
        var counts = [Int](repeating: 0, count: Metrics.buckets.count)
        var sum = 0.0
        var count = 0
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var latency: [String: Latency] = [:]
        var crashes: [String: Int] = [:]
        var timeouts: [String: Int] = [:]
        var swaps = 0
        var reloads: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let inFlight = Atomic<Int>(0)
    private let buildInfo: [(String, String)]

    public init(buildInfo: [(String, String)]) { self.buildInfo = buildInfo }

    /// The method as a label: the standard ones, anything else `OTHER` (a client must not grow
    /// the exposition with made-up methods).
    public static func methodLabel(_ method: String) -> String {
        standardMethods.contains(method) ? method : "OTHER"
    }

    private static let standardMethods = Set(EndpointManifest.knownMethods)

    public func started() { inFlight.wrappingAdd(1, ordering: .relaxed) }

    /// A request answered (by a handler, or by the server: `endpoint` empty).
    public func finished(endpoint: String, method: String, status: Int, seconds: Double, counted: Bool = true) {
        if counted { inFlight.wrappingSubtract(1, ordering: .relaxed) }
        let key = RequestKey(endpoint: endpoint, method: method, status: "\(status / 100)xx")
        state.withLock { state in
            state.requests[key, default: 0] += 1
            guard !endpoint.isEmpty else { return }
            var latency = state.latency[endpoint] ?? Latency()
            if let bucket = Self.buckets.firstIndex(where: { seconds <= $0 }) { latency.counts[bucket] += 1 }
            latency.sum += seconds
            latency.count += 1
            state.latency[endpoint] = latency
        }
    }

    /// Crashes so far, by endpoint.
    public func crashCounts() -> [String: Int] { state.withLock { $0.crashes } }

    public func crashed(_ endpoint: String) { state.withLock { $0.crashes[endpoint, default: 0] += 1 } }
    public func timedOut(_ endpoint: String) { state.withLock { $0.timeouts[endpoint, default: 0] += 1 } }
    public func swapped(_ count: Int) { state.withLock { $0.swaps += count } }
    public func reloaded(_ outcome: String) { state.withLock { $0.reloads[outcome, default: 0] += 1 } }

    /// The exposition: every family with its HELP and TYPE lines, series sorted.
    public var text: String {
        let state = state.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func labels(_ pairs: [(String, String)]) -> String {
            pairs.isEmpty ? "" : "{" + pairs.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        family("edge_requests_total", "counter", "Requests answered, by endpoint, method and status class.")
        for (key, count) in state.requests.sorted(by: {
            ($0.key.endpoint, $0.key.method, $0.key.status) < ($1.key.endpoint, $1.key.method, $1.key.status)
        }) {
            out +=
                "edge_requests_total\(labels([("endpoint", key.endpoint), ("method", key.method), ("status", key.status)])) \(count)\n"
        }
        family("edge_request_duration_seconds", "histogram", "Time from a request's head to its handler's answer.")
        for (endpoint, latency) in state.latency.sorted(by: { $0.key < $1.key }) {
            var cumulative = 0
            for (bound, count) in zip(Self.buckets, latency.counts) {
                cumulative += count
                out +=
                    "edge_request_duration_seconds_bucket\(labels([("endpoint", endpoint), ("le", Self.number(bound))])) \(cumulative)\n"
            }
            out +=
                "edge_request_duration_seconds_bucket\(labels([("endpoint", endpoint), ("le", "+Inf")])) \(latency.count)\n"
            out += "edge_request_duration_seconds_sum\(labels([("endpoint", endpoint)])) \(Self.number(latency.sum))\n"
            out += "edge_request_duration_seconds_count\(labels([("endpoint", endpoint)])) \(latency.count)\n"
        }
        family("edge_requests_in_flight", "gauge", "Requests being answered now.")
        out += "edge_requests_in_flight \(inFlight.load(ordering: .relaxed))\n"
        family("edge_swaps_total", "counter", "Endpoint versions swapped in by reloads.")
        out += "edge_swaps_total \(state.swaps)\n"
        family("edge_reloads_total", "counter", "Bundle reloads (SIGHUP), by outcome.")
        for (outcome, count) in state.reloads.sorted(by: { $0.key < $1.key }) {
            out += "edge_reloads_total\(labels([("outcome", outcome)])) \(count)\n"
        }
        family("edge_handler_crashes_total", "counter", "Requests whose handler trapped (answered 500).")
        for (endpoint, count) in state.crashes.sorted(by: { $0.key < $1.key }) {
            out += "edge_handler_crashes_total\(labels([("endpoint", endpoint)])) \(count)\n"
        }
        family("edge_handler_timeouts_total", "counter", "Requests whose handler overran its timeout (answered 504).")
        for (endpoint, count) in state.timeouts.sorted(by: { $0.key < $1.key }) {
            out += "edge_handler_timeouts_total\(labels([("endpoint", endpoint)])) \(count)\n"
        }
        family("edge_build_info", "gauge", "The bundle being served: always 1.")
        out += "edge_build_info\(labels(buildInfo)) 1\n"
        return out
    }

    /// A label value: backslash, double quote and line feed escaped.
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
