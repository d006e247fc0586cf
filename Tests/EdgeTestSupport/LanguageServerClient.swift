import BuildServer
import EdgeSystem
import Glibc
import HandlerBuild

/// The toolchain's real `sourcekit-lsp`, opened on a project folder the way an editor opens it:
/// `initialize` with the folder as workspace root (sourcekit-lsp finds `buildServer.json` there
/// and starts `edge-dev bsp`), then documents opened, completed and navigated.
package final class LanguageServerClient {
    /// `sourcekit-lsp` beside the `swiftc` edge-dev builds with, or nil: tests that need it are
    /// skipped.
    package static let executable: String? = {
        guard let toolchain = try? Toolchain.locate() else { return nil }
        let candidate = FilePath.join(
            FilePath.directory(of: FilePath.resolvingSymlinks(toolchain.swiftc)), "sourcekit-lsp")
        return access(candidate, X_OK) == 0 ? candidate : nil
    }()

    package let peer: JSONRPCPeer
    package let root: String
    private var versions: [String: Int] = [:]

    package init(root: String, environment: [String: String] = [:]) throws {
        guard let executable = Self.executable else {
            throw JSONRPCPeer.Failure(description: "no sourcekit-lsp beside swiftc")
        }
        self.root = root
        peer = try JSONRPCPeer([executable], directory: "/", environment: environment)
        let capabilities: JSONValue = .object([
            (
                "textDocument",
                .object([
                    ("publishDiagnostics", .object([])),
                    ("completion", .object([("completionItem", .object([("snippetSupport", false)]))])),
                    ("definition", .object([])),
                ])
            ),
            ("workspace", .object([("didChangeWatchedFiles", .object([("dynamicRegistration", true)]))])),
        ])
        try peer.request(
            "initialize",
            .object([
                ("processId", JSONValue(Int(getpid()))), ("rootUri", .string(FileURI.from(path: root))),
                ("capabilities", capabilities),
                (
                    "workspaceFolders",
                    [.object([("uri", .string(FileURI.from(path: root))), ("name", "project")])]
                ),
            ]), timeout: .seconds(60))
        try peer.notify("initialized")
    }

    deinit {
        _ = try? peer.request("shutdown", timeout: .seconds(5))
        try? peer.notify("exit")
        _ = peer.waitForExit(.seconds(5))
    }

    /// Opens `path` with its text on disk (or `text`); returns the index in `peer.notifications`
    /// from which its diagnostics are news.
    @discardableResult
    package func open(_ path: String, text: String? = nil) throws -> Int {
        let start = peer.notifications.count
        versions[path] = 1
        try peer.notify(
            "textDocument/didOpen",
            .object([
                (
                    "textDocument",
                    .object([
                        ("uri", .string(FileURI.from(path: path))), ("languageId", "swift"), ("version", 1),
                        ("text", .string(try text ?? FilePath.readText(path))),
                    ])
                )
            ]))
        return start
    }

    /// Replaces the open document's text, as typing does.
    @discardableResult
    package func change(_ path: String, text: String) throws -> Int {
        let start = peer.notifications.count
        let version = (versions[path] ?? 1) + 1
        versions[path] = version
        try peer.notify(
            "textDocument/didChange",
            .object([
                (
                    "textDocument",
                    .object([("uri", .string(FileURI.from(path: path))), ("version", JSONValue(version))])
                ),
                ("contentChanges", [.object([("text", .string(text))])]),
            ]))
        return start
    }

    /// One published diagnostic: its line (1-based) and message.
    package struct Diagnostic: CustomStringConvertible, Equatable {
        package var line: Int
        package var message: String
        package var description: String { "\(line): \(message)" }
    }

    /// Diagnostics published for `path` from notification `start` on, until `done` accepts them
    /// (the last set seen is returned when `timeout` passes, or thrown when none came).
    package func diagnostics(
        _ path: String, from start: Int = 0, timeout: Duration = .seconds(30),
        until done: ([Diagnostic]) -> Bool = { _ in true }
    ) throws -> [Diagnostic] {
        let uri = JSONValue.string(FileURI.from(path: path))
        let deadline = ContinuousClock.now + timeout
        var index = start
        var last: [Diagnostic]?
        while ContinuousClock.now < deadline {
            guard
                let found = try? peer.notification(
                    from: index, timeout: deadline - ContinuousClock.now, what: "diagnostics for \(path)",
                    where: { $0["method"] == "textDocument/publishDiagnostics" && $0["params"]?["uri"] == uri })
            else { break }
            index = found.index + 1
            var items: [Diagnostic] = []
            if case .array(let list)? = found.message["params"]?["diagnostics"] {
                for item in list {
                    guard case .number(let line)? = item["range"]?["start"]?["line"],
                        case .string(let message)? = item["message"]
                    else { continue }
                    items.append(Diagnostic(line: Int(line) + 1, message: message))
                }
            }
            last = items
            if done(items) { return items }
        }
        guard let last else { throw JSONRPCPeer.Failure(description: "no diagnostics for \(path)") }
        return last
    }

    /// The document's diagnostics as a pull client (VS Code) asks for them: at once, with the
    /// build settings sourcekit-lsp has now. (Pushed diagnostics wait out sourcekit-lsp's 1 s
    /// debounce first.)
    package func pullDiagnostics(_ path: String) throws -> [Diagnostic] {
        let result = try peer.request(
            "textDocument/diagnostic",
            .object([("textDocument", .object([("uri", .string(FileURI.from(path: path)))]))]))
        guard case .array(let list)? = result["items"] else { return [] }
        return list.compactMap { item in
            guard case .number(let line)? = item["range"]?["start"]?["line"],
                case .string(let message)? = item["message"]
            else { return nil }
            return Diagnostic(line: Int(line) + 1, message: message)
        }
    }

    /// Completion labels at `line` (1-based) and `column` (0-based, UTF-16 as LSP counts).
    package func completion(_ path: String, line: Int, column: Int) throws -> [String] {
        let result = try peer.request(
            "textDocument/completion",
            .object([
                ("textDocument", .object([("uri", .string(FileURI.from(path: path)))])),
                ("position", .object([("line", JSONValue(line - 1)), ("character", JSONValue(column))])),
            ]))
        let items: [JSONValue]
        if case .array(let list) = result {
            items = list
        } else if case .array(let list)? = result["items"] {
            items = list
        } else {
            items = []
        }
        return items.compactMap { item in
            if case .string(let text)? = item["filterText"] { return text }
            if case .string(let text)? = item["label"] { return text }
            return nil
        }
    }

    /// Where the symbol at `line` (1-based), `column` (0-based) is defined: (path, line).
    package func definition(_ path: String, line: Int, column: Int) throws -> [(path: String, line: Int)] {
        let result = try peer.request(
            "textDocument/definition",
            .object([
                ("textDocument", .object([("uri", .string(FileURI.from(path: path)))])),
                ("position", .object([("line", JSONValue(line - 1)), ("character", JSONValue(column))])),
            ]))
        let locations: [JSONValue]
        if case .array(let list) = result { locations = list } else { locations = [result] }
        return locations.compactMap { location in
            guard case .string(let uri)? = location["uri"] ?? location["targetUri"], let file = FileURI.path(uri),
                case .number(let line)? = (location["range"] ?? location["targetRange"])?["start"]?["line"]
            else { return nil }
            return (file, Int(line) + 1)
        }
    }
}
