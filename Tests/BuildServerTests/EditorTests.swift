import BuildServer
import EdgeSystem
import EdgeTestSupport
import Glibc
import HandlerBuild
import Testing

/// The toolchain's real sourcekit-lsp on a copy of the samples, with `buildServer.json` written
/// by `edge-dev editor`: what a developer sees in an editor.
@Suite(.onOwnThreads, .enabled(if: LanguageServerClient.executable != nil, "sourcekit-lsp not found next to swiftc"))
struct EditorTests {
    /// A project with the given samples and `buildServer.json`, and sourcekit-lsp opened on it.
    final class Editor {
        let test: TestProject
        let client: LanguageServerClient

        init(samples: [String]) throws {
            test = try TestProject(samples: samples)
            let written = try runEdgeDev(["editor"], in: test.root)
            try #require(written.status == 0, "\(written.output)")
            client = try LanguageServerClient(
                root: test.root, environment: ["EDGE_MODULE_CACHE": TestProject.sharedModuleCache])
        }

        /// A line that only type-checking with the project's real arguments reports, alone
        /// (`number` keeps the names apart in one endpoint's files).
        static func typeError(_ number: Int = 0) -> String {
            "\nlet edgeDevTypeCheck\(number): Int = \"not a number\"\n"
        }

        /// The line `typeError` lands on when appended to `text`.
        static func line(after text: String) -> Int {
            text.split(separator: "\n", omittingEmptySubsequences: false).count + 1
        }

        func source(_ id: String, _ file: String = "handler.swift") -> String {
            FilePath.join(test.project.sourceDirectory(id), file)
        }
    }

    @Test func everySampleOpensWithoutDiagnostics() async throws {
        try await onThread { try Self.everySampleOpensWithoutDiagnostics() }
    }

    static func everySampleOpensWithoutDiagnostics() throws {
        let samples = FilePath.contents(of: TestProject.samples).filter { !$0.hasPrefix(".") }
        let editor = try Editor(samples: samples)
        let project = editor.test.project
        let files =
            project.endpointIDs().flatMap(project.sourceFiles)
            + project.libraryNames().flatMap(project.librarySourceFiles)
        #expect(files.count >= 10)
        for (number, file) in files.enumerated() {
            let text = try FilePath.readText(file)
            var start = try editor.client.open(file)
            let diagnostics = try editor.client.diagnostics(file, from: start) { $0.isEmpty }
            #expect(diagnostics.isEmpty, "\(project.displayPath(file)): \(diagnostics)")
            // Clean could also mean "no settings" (syntax only): a type error must be the one
            // diagnostic, which only edge-dev's own arguments give.
            start = try editor.client.change(file, text: text + Editor.typeError(number))
            let checked = try editor.client.diagnostics(file, from: start) { !$0.isEmpty }
            #expect(checked.map(\.line) == [Editor.line(after: text)], "\(project.displayPath(file)): \(checked)")
        }
    }

    @Test func aTypeErrorIsReportedAtItsLine() async throws {
        try await onThread { try Self.aTypeErrorIsReportedAtItsLine() }
    }

    static func aTypeErrorIsReportedAtItsLine() throws {
        let editor = try Editor(samples: ["hello"])
        let file = editor.source("hello")
        try FilePath.write(
            """
            import EdgeSDK

            func handle(_ ctx: Context, _ req: Request) async throws -> Response {
                let count: Int = req.path
                return .text("\\(count)")
            }

            """, to: file)
        let start = try editor.client.open(file)
        let diagnostics = try editor.client.diagnostics(file, from: start) { !$0.isEmpty }
        #expect(diagnostics.map(\.line) == [4], "\(diagnostics)")
        #expect(diagnostics.first?.message.contains("annot convert value of type 'String'") == true, "\(diagnostics)")
    }

    @Test func completionAndDefinitionKnowTheEndpointAndTheSDK() async throws {
        try await onThread { try Self.completionAndDefinitionKnowTheEndpointAndTheSDK() }
    }

    static func completionAndDefinitionKnowTheEndpointAndTheSDK() throws {
        let editor = try Editor(samples: ["todos"])
        let file = editor.source("todos")
        var lines = try FilePath.readText(file).split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
        let handleLine = try #require(lines.firstIndex { $0.hasPrefix("func handle(") })
        lines.insert("    _ = req.", at: handleLine + 1)
        let text = lines.joined(separator: "\n")
        // The project's settings are in once the one diagnostic is the deliberate type error
        // (fallback settings would add "No such module 'EdgeSDK'").
        let start = try editor.client.open(file, text: text + Editor.typeError())
        // (Line `handleLine + 2` is the unfinished `req.` itself.)
        let expected = [handleLine + 2, Editor.line(after: text)]
        let settled = try editor.client.diagnostics(file, from: start) { $0.map(\.line) == expected }
        try #require(settled.map(\.line) == expected, "\(settled)")

        let labels = try editor.client.completion(file, line: handleLine + 2, column: "    _ = req.".utf16.count)
        for member in ["method", "path", "json"] {
            #expect(labels.contains { $0 == member || $0.hasPrefix(member + "(") }, "\(member) in \(labels)")
        }

        let use = try #require(lines.firstIndex { $0.contains("Todo(id:") })
        let prefix = try #require(lines[use].split(separator: "Todo(", maxSplits: 1).first)
        let column = prefix.utf16.count
        let found = try editor.client.definition(file, line: use + 1, column: column + 1)
        #expect(found.map { FilePath.lastComponent($0.path) } == ["Todo.swift"], "\(found)")
        #expect(found.first?.line == 1)
    }

    @Test func newFilesAndNewEndpointsResolveWithoutARestart() async throws {
        try await onThread { try Self.newFilesAndNewEndpointsResolveWithoutARestart() }
    }

    static func newFilesAndNewEndpointsResolveWithoutARestart() throws {
        let editor = try Editor(samples: ["hello"])
        let file = editor.source("hello")
        try FilePath.write(
            "import EdgeSDK\n\nfunc handle(_ ctx: Context, _ req: Request) -> Response {\n    .text(Extra.greeting)\n}\n",
            to: file)
        var start = try editor.client.open(file)
        let before = try editor.client.diagnostics(file, from: start) { !$0.isEmpty }
        #expect(before.contains { $0.message.contains("Extra") }, "\(before)")

        // A second file, written after the editor opened the first: resolved, no restart.
        start = editor.client.peer.notifications.count
        try FilePath.write(
            "enum Extra {\n    static let greeting = \"hi\"\n}\n", to: editor.source("hello", "Extra.swift"))
        let after = try editor.client.diagnostics(file, from: start, timeout: .seconds(5)) { $0.isEmpty }
        #expect(after.isEmpty, "\(after)")

        // A new endpoint folder with two files.
        try editor.test.write("fresh", "struct Helper {\n    static let text = \"fresh\"\n}\n", file: "Helper.swift")
        try editor.test.write(
            "fresh",
            "import EdgeSDK\n\nfunc handle(_ ctx: Context, _ req: Request) -> Response {\n    .text(Helper.text)\n}\n")
        let fresh = editor.source("fresh")
        let freshText = try FilePath.readText(fresh)
        start = try editor.client.open(fresh, text: freshText + Editor.typeError())
        // Helper resolves (its file is in the target) and the deliberate error is the only one.
        let expected = [Editor.line(after: freshText)]
        let freshDiagnostics = try editor.client.diagnostics(fresh, from: start, timeout: .seconds(5)) {
            $0.map(\.line) == expected
        }
        #expect(freshDiagnostics.map(\.line) == expected, "\(freshDiagnostics)")
    }

    @Test func sharedModulesResolveAndTheirInterfaceEditsReachImporters() async throws {
        try await onThread { try Self.sharedModulesResolveAndTheirInterfaceEditsReachImporters() }
    }

    static func sharedModulesResolveAndTheirInterfaceEditsReachImporters() throws {
        let editor = try Editor(samples: [])
        let project = editor.test.project
        let module = FilePath.join(project.libraryDirectory("Models"), "Models.swift")
        try FilePath.createDirectories(project.libraryDirectory("Models"))
        try FilePath.write(
            "public struct Account: Sendable {\n    public var name: String\n    public init(name: String) { self.name = name }\n}\n",
            to: module)
        try editor.test.write(
            "accounts",
            """
            import EdgeSDK
            import Models

            func handle(_ ctx: Context, _ req: Request) -> Response {
                let account = Account(name: "ada")
                return .text(account.name)
            }

            """)
        let file = editor.source("accounts")
        var start = try editor.client.open(file)
        let clean = try editor.client.diagnostics(file, from: start, timeout: .seconds(30)) { $0.isEmpty }
        #expect(clean.isEmpty, "\(clean)")

        // The module's interface changes on disk: the importer's diagnostics follow.
        start = editor.client.peer.notifications.count
        try FilePath.write(
            "public struct Account: Sendable {\n    public var fullName: String\n    public init(fullName: String) { self.fullName = fullName }\n}\n",
            to: module)
        let broken = try editor.client.diagnostics(file, from: start, timeout: .seconds(30)) { !$0.isEmpty }
        #expect(broken.contains { $0.line == 5 || $0.line == 6 }, "\(broken)")
    }
}
