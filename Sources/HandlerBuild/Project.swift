import EdgeSystem
import Glibc

/// A developer's project folder: `handlers/<endpoint-id>/src/*.swift`, with edge-dev's own build
/// output in `.edge/` beside the handlers folder.
public struct Project: Sendable, Equatable {
    /// Absolute path of the handlers folder.
    public let handlersDirectory: String
    /// The folder that holds the handlers folder; diagnostics are relative to it.
    public let rootDirectory: String

    /// The module cache shared by every handler build: `.edge/module-cache` unless
    /// `moduleCache` (or `$EDGE_MODULE_CACHE`) names another, which several projects may share.
    public let moduleCache: String

    /// Where every endpoint's versions are built: `.edge/build/<id>/<n>/` unless `buildRoot`
    /// names another folder (the editor's build server builds shared modules into `.edge/editor`,
    /// so it never clears what a running `serve` has loaded).
    public let buildRoot: String

    public init(handlersDirectory: String, moduleCache: String? = nil, buildRoot: String? = nil) {
        let absolute = FilePath.absolute(handlersDirectory)
        self.handlersDirectory = absolute
        self.rootDirectory = FilePath.directory(of: absolute)
        let shared = moduleCache ?? getenv("EDGE_MODULE_CACHE").map { String(cString: $0) }
        self.moduleCache =
            shared.map(FilePath.absolute)
            ?? FilePath.join(FilePath.join(rootDirectory, ".edge"), "module-cache")
        self.buildRoot =
            buildRoot.map(FilePath.absolute) ?? FilePath.join(FilePath.join(rootDirectory, ".edge"), "build")
    }

    /// `.edge/` beside the handlers folder.
    public var edgeDirectory: String { FilePath.join(rootDirectory, ".edge") }
    /// The same project, building into `buildRoot` instead.
    public func building(into buildRoot: String) -> Project {
        Project(handlersDirectory: handlersDirectory, moduleCache: moduleCache, buildRoot: buildRoot)
    }

    /// `.edge/editor`: where the editor's builds of shared modules go, never the folders a
    /// running `serve` has loaded or will clear.
    public var editorDirectory: String { FilePath.join(edgeDirectory, "editor") }

    /// The same project as one editor session builds it: into `.edge/editor/<session>`, so two
    /// sessions (two editor windows, or `edge-dev editor --compile-commands` beside a running
    /// build server) never clear each other's builds.
    public func forEditor(session: String) -> Project {
        building(into: FilePath.join(editorDirectory, session))
    }

    public func endpointDirectory(_ id: String) -> String { FilePath.join(handlersDirectory, id) }
    public func sourceDirectory(_ id: String) -> String { FilePath.join(endpointDirectory(id), "src") }
    public func manifestPath(_ id: String) -> String { FilePath.join(endpointDirectory(id), "endpoint.json") }

    /// Every endpoint: folders under `handlers/` whose names are valid ids and that have `src/`.
    public func endpointIDs() -> [String] {
        FilePath.contents(of: handlersDirectory).filter {
            Self.isValidEndpointID($0) && !Self.reservedFolders.contains($0)
                && FilePath.isDirectory(sourceDirectory($0))
        }
    }

    /// Folders under `handlers/` that look like endpoints (they have `src/`) but whose names are
    /// not endpoint ids, so they are skipped: the user is told once, naming the rule.
    public func skippedFolders() -> [String] {
        FilePath.contents(of: handlersDirectory).filter {
            !$0.hasPrefix(".") && !Self.isValidEndpointID($0) && FilePath.isDirectory(sourceDirectory($0))
        }
    }

    /// The line that says why `skippedFolders()` are skipped.
    public func skippedFoldersWarning() -> String? {
        let skipped = skippedFolders()
        guard !skipped.isEmpty else { return nil }
        let names = skipped.map { "'\(displayPath(endpointDirectory($0)))'" }.joined(separator: ", ")
        return "skipping \(names): \(skipped.count == 1 ? "its name is" : "their names are") not an endpoint id "
            + "(\(Self.endpointIDRule))"
    }

    public static let endpointIDRule = "letters, digits, '-' and '_', not starting with '-', at most 64 characters"

    /// The endpoint's Swift sources, absolute and sorted, from `src/` and its subfolders. Hidden
    /// files and folders (editor temporaries such as `.#handler.swift`) are not sources.
    public func sourceFiles(_ id: String) -> [String] {
        Self.swiftFiles(under: sourceDirectory(id))
    }

    /// `path` as the user knows it: relative to the project folder.
    public func displayPath(_ path: String) -> String {
        FilePath.relative(path, to: rootDirectory)
    }

    /// Letters, digits, `-` and `_`; not empty, and not starting with `-` (it would read as an
    /// option on a command line).
    public static func isValidEndpointID(_ id: String) -> Bool {
        guard let first = id.utf8.first, first != UInt8(ascii: "-"), id.utf8.count <= 64 else {
            return false
        }
        return id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
        }
    }
}
