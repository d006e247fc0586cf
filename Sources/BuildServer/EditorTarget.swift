import HandlerBuild

/// What the editor sees as one build target: an endpoint, or a shared module.
public enum EditorTarget: Hashable, Comparable, Sendable {
    case endpoint(String)
    case module(String)

    /// `edge-dev://endpoint/<id>` or `edge-dev://module/<Name>`: a target's identity in the protocol.
    public var uri: String {
        switch self {
        case .endpoint(let id): "edge-dev://endpoint/\(id)"
        case .module(let name): "edge-dev://module/\(name)"
        }
    }

    public init?(uri: String) {
        if let id = uri.dropPrefix("edge-dev://endpoint/"), Project.isValidEndpointID(id) {
            self = .endpoint(id)
        } else if let name = uri.dropPrefix("edge-dev://module/"), Project.isValidModuleName(name) {
            self = .module(name)
        } else {
            return nil
        }
    }

    /// As the user knows it: `hello`, `_lib/Validation`.
    public var displayName: String {
        switch self {
        case .endpoint(let id): id
        case .module(let name): "_lib/\(name)"
        }
    }

    /// The folder whose Swift files (at any depth) are the target's sources.
    public func sourceDirectory(in project: Project) -> String {
        switch self {
        case .endpoint(let id): project.sourceDirectory(id)
        case .module(let name): project.libraryDirectory(name)
        }
    }

    /// The target's own folder.
    public func baseDirectory(in project: Project) -> String {
        switch self {
        case .endpoint(let id): project.endpointDirectory(id)
        case .module(let name): project.libraryDirectory(name)
        }
    }
}

extension String {
    fileprivate func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
