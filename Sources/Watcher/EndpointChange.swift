/// What changed in a project, per endpoint. The watcher knows nothing of HTTP or builds.
public enum EndpointChange: Equatable, Hashable, Sendable {
    /// A Swift source under `handlers/<id>/src` was written, renamed, created or deleted.
    case sourcesChanged(String)
    /// `handlers/<id>/endpoint.json` was written, created or deleted.
    case manifestChanged(String)
    /// `handlers/<id>/src` appeared.
    case added(String)
    /// `handlers/<id>` disappeared.
    case removed(String)
    /// Events were lost (the kernel queue overflowed): compare everything again.
    case rescan
    /// `.env` or `.env.local` in the project folder was written, created or deleted.
    case configurationChanged
    /// A source of the shared module `handlers/_lib/<name>` was written, created or deleted (or
    /// the module's folder came or went).
    case libraryChanged(String)
    /// A migration of database `<name>` (`handlers/_migrations/<name>/*.sql`) was written,
    /// created or deleted, or the folder came.
    case migrationsChanged(String)

    public var endpointID: String? {
        switch self {
        case .sourcesChanged(let id), .manifestChanged(let id), .added(let id), .removed(let id): id
        case .rescan, .configurationChanged, .libraryChanged, .migrationsChanged: nil
        }
    }
}
