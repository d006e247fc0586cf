/// What happens in a running dev server, as the terminal (and later the dashboard) shows it.
public enum DevEvent: Sendable {
    case buildStarted(endpoint: String)
    /// `swap` is nil for a first load.
    case buildSucceeded(endpoint: String, version: Int, milliseconds: Double, swap: SwapResult?)
    /// `serving` is the version that keeps serving, if any.
    case buildFailed(endpoint: String, diagnostics: [Diagnostic], milliseconds: Double, serving: Int?)
    case routeError(endpoint: String, error: ManifestError)
    case routesChanged(endpoint: String)
    case endpointAdded(endpoint: String)
    case endpointRemoved(endpoint: String)
    case retired(endpoint: String, version: Int, reason: RetireReason)
    case handlerLog(String)
}
