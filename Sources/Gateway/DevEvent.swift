import EdgeHTTP
import EdgeSystem
import HandlerBuild
import HandlerRuntime

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
    /// A handler trapped; its request got a 500. `location` is the trapping source line when the
    /// runtime gave no message and the line tables know it.
    case crashed(endpoint: String, version: Int, crash: HandlerCrash, location: String?)
    /// A handler did not answer in time; its request got a 504.
    case timedOut(endpoint: String, version: Int, after: Duration)
    /// `.env`/`.env.local` were read again and apply from the next request: which keys changed
    /// (never their values).
    case configurationChanged(files: [String], added: [String], changed: [String], removed: [String])
    /// A shared module built; `dependents` are the endpoints that import it (they rebuild next).
    case libraryBuilt(name: String, version: Int, milliseconds: Double, dependents: [String])
    /// A shared module did not build; `serving` is the version its dependents keep using.
    case libraryFailed(
        name: String, diagnostics: [Diagnostic], milliseconds: Double, serving: Int?, dependents: [String])
    /// A configuration file could not be read; the previous configuration stays in force.
    case configurationFailed(file: String, line: Int?, message: String)
    /// An endpoint's examples ran against `version` after a swap.
    case examplesRan(endpoint: String, version: Int, passed: Int, total: Int, failure: String?, milliseconds: Double)
    /// A request a handler endpoint answered, as the journal recorded it (its summary).
    case request(JSONValue)
    /// Migrations of a database applied (in order), by file name without `.sql`.
    case migrationsApplied(database: String, names: [String])
    /// A migration failed (the database stays at the one before), or one applied was edited.
    case migrationFailed(database: String, file: String, line: Int?, message: String)
}
