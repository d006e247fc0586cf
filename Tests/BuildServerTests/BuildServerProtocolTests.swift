import BuildServer
import EdgeSystem
import EdgeTestSupport
import Glibc
import HandlerBuild
import Testing

/// `edge-dev bsp` spoken to directly over its standard input and output, as sourcekit-lsp speaks
/// to it: the protocol's answers, and the `buildTarget/didChange` it sends as files change.
@Suite(.onOwnThreads) struct BuildServerProtocolTests {
    /// A running `edge-dev bsp`, initialized on a copy of the samples.
    /// Used by one thread at a time (the test's own, off the cooperative pool).
    final class Session: @unchecked Sendable {
        let test: TestProject
        let bsp: JSONRPCPeer
        let initialized: JSONValue

        init(samples: [String] = ["hello", "todos", "signup", "contact", "_lib"]) throws {
            test = try TestProject(samples: samples)
            bsp = try JSONRPCPeer(
                [ServeProcess.executable, "bsp"], directory: "/",
                environment: ["EDGE_MODULE_CACHE": TestProject.sharedModuleCache])
            initialized = try bsp.request(
                "build/initialize",
                .object([
                    ("displayName", "test"), ("version", "1"), ("bspVersion", "2.2.0"),
                    ("rootUri", .string(FileURI.from(path: test.root))),
                    ("capabilities", .object([("languageIds", ["swift"])])),
                ]))
            try bsp.notify("build/initialized")
        }

        func targets() throws -> [JSONValue] {
            guard case .array(let list)? = try bsp.request("workspace/buildTargets")["targets"] else { return [] }
            return list
        }

        func options(_ path: String, target: String) throws -> [String] {
            let result = try bsp.request(
                "textDocument/sourceKitOptions",
                .object([
                    ("textDocument", .object([("uri", .string(FileURI.from(path: path)))])),
                    ("target", .object([("uri", .string(target))])), ("language", "swift"),
                ]))
            guard case .array(let list)? = result["compilerArguments"] else { return [] }
            return list.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }

        /// The next `buildTarget/didChange` from notification `start` on: its target URIs, or nil
        /// for "every target".
        func nextChange(from start: Int, timeout: Duration = .seconds(10)) throws -> [String]? {
            let found = try bsp.notification(from: start, timeout: timeout, what: "buildTarget/didChange") {
                $0["method"] == "buildTarget/didChange"
            }
            guard case .array(let changes)? = found.message["params"]?["changes"] else { return nil }
            return changes.compactMap { if case .string(let uri)? = $0["target"]?["uri"] { uri } else { nil } }
        }
    }

    @Test func answersWhatSourceKitLSPAsks() async throws {
        try await onThread { try Self.answersWhatSourceKitLSPAsks() }
    }

    static func answersWhatSourceKitLSPAsks() throws {
        let session = try Session()
        #expect(session.initialized["dataKind"] == "sourceKit")
        #expect(session.initialized["data"]?["sourceKitOptionsProvider"] == .bool(true))

        let targets = try session.targets()
        let ids = targets.compactMap { if case .string(let uri)? = $0["id"]?["uri"] { uri } else { nil } }
        #expect(
            ids == [
                "edge-dev://endpoint/contact", "edge-dev://endpoint/hello", "edge-dev://endpoint/signup",
                "edge-dev://endpoint/todos", "edge-dev://module/Validation",
            ])
        let signup = targets.first { $0["id"]?["uri"] == "edge-dev://endpoint/signup" }
        #expect(signup?["dependencies"] == [.object([("uri", "edge-dev://module/Validation")])])
        #expect(signup?["dataKind"] == "sourceKit")

        let sources = try session.bsp.request(
            "buildTarget/sources", .object([("targets", [.object([("uri", "edge-dev://endpoint/todos")])])]))
        let item = sources["items"]?[0]?["sources"]?[0]
        #expect(
            item?["uri"] == .string(FileURI.from(path: session.test.project.sourceDirectory("todos"), directory: true)))
        #expect(item?["kind"] == 2)  // a directory: a new file belongs to the target at once

        // Once the first module builds are done, the options are what edge-dev compiles with.
        try session.bsp.request("workspace/waitForBuildSystemUpdates", timeout: .seconds(60))
        let handler = FilePath.join(session.test.project.sourceDirectory("signup"), "handler.swift")
        let arguments = try session.options(handler, target: "edge-dev://endpoint/signup")
        let editorBuild = FilePath.join(
            session.test.project.forEditor(session: "bsp-\(session.bsp.pid)").libraryBuildRoot, "Validation")
        let alias = try #require(arguments.first { $0.hasPrefix("Validation=L_Validation_") }, "\(arguments)")
        let version = String(alias.dropFirst("Validation=L_Validation_".count))
        #expect(arguments.contains(FilePath.join(editorBuild, version)), "\(arguments)")
        #expect(
            FilePath.exists(FilePath.join(FilePath.join(editorBuild, version), "L_Validation_\(version).swiftmodule")))
        for flag in ["-swift-version", "-parse-as-library", session.test.compiler.sdk.moduleDirectory, handler] {
            #expect(arguments.contains(flag), "\(flag) in \(arguments)")
        }
        #expect(!arguments.contains { $0.hasSuffix("/swiftc") })  // the compiler itself is not an argument

        // A file of no target gets no options; an unknown request an error, not silence.
        #expect(
            try session.bsp.request(
                "textDocument/sourceKitOptions",
                .object([
                    ("textDocument", .object([("uri", "file:///elsewhere/x.swift")])),
                    ("target", .object([("uri", "edge-dev://endpoint/nope")])), ("language", "swift"),
                ])) == .null)
        #expect(throws: JSONRPCPeer.Failure.self) { try session.bsp.request("buildTarget/compile") }

        #expect(try session.bsp.request("build/shutdown") == .null)
        try session.bsp.notify("build/exit")
        #expect(session.bsp.waitForExit(.seconds(10)) == 0)
    }

    @Test func tellsTheEditorWhatChanged() async throws {
        let session = try await onThread { try Session() }
        // What `serve` built: the build server never touches it.
        let served = try #require(await session.test.compiler.buildLibrary("Validation").artifact)
        try await onThread { try Self.tellsTheEditorWhatChanged(session, served: served) }
    }

    /// The blocking part, on a thread of its own: the cooperative pool has two threads here, and
    /// a test that blocks one in a poll starves every async test meanwhile.
    static func tellsTheEditorWhatChanged(_ session: Session, served: LibraryArtifact) throws {
        let project = session.test.project
        let hello = FilePath.join(project.sourceDirectory("hello"), "handler.swift")
        let signup = FilePath.join(project.sourceDirectory("signup"), "handler.swift")
        let contact = FilePath.join(project.sourceDirectory("contact"), "handler.swift")
        try session.bsp.request("workspace/waitForBuildSystemUpdates", timeout: .seconds(60))
        _ = try session.options(hello, target: "edge-dev://endpoint/hello")
        let before = try session.options(signup, target: "edge-dev://endpoint/signup")
        _ = try session.options(contact, target: "edge-dev://endpoint/contact")

        // A new file: the endpoint's arguments now list it.
        var start = session.bsp.notifications.count
        let extra = FilePath.join(project.sourceDirectory("hello"), "Extra.swift")
        try FilePath.write("enum Extra {}\n", to: extra)
        #expect(try session.nextChange(from: start) == ["edge-dev://endpoint/hello"])
        #expect(try session.options(hello, target: "edge-dev://endpoint/hello").contains(extra))

        // An edit of a shared module: rebuilt, and every importer told.
        start = session.bsp.notifications.count
        let module = FilePath.join(project.libraryDirectory("Validation"), "Validation.swift")
        try FilePath.write(try FilePath.readText(module) + "\npublic let addedLater = 1\n", to: module)
        let changed = try #require(try session.nextChange(from: start, timeout: .seconds(60)))
        #expect(
            Set(changed).isSuperset(of: ["edge-dev://endpoint/signup", "edge-dev://endpoint/contact"]), "\(changed)")
        let after = try session.options(signup, target: "edge-dev://endpoint/signup")
        #expect(after != before && after.contains { $0.hasPrefix("Validation=L_Validation_") })
        #expect(FilePath.isRegularFile(served.libraryPath), "the editor's build removed serve's \(served.libraryPath)")

        // A change the editor reports (workspace/didChangeWatchedFiles) is waited for at once.
        let second = FilePath.join(project.sourceDirectory("hello"), "Second.swift")
        try FilePath.write("enum Second {}\n", to: second)
        try session.bsp.notify(
            "workspace/didChangeWatchedFiles",
            .object([("changes", [.object([("uri", .string(FileURI.from(path: second))), ("type", 1)])])]))
        try session.bsp.request("sourcekit/workspace/waitForBuildSystemUpdates", timeout: .seconds(60))
        #expect(try session.options(hello, target: "edge-dev://endpoint/hello").contains(second))

        // A new endpoint: every target again.
        start = session.bsp.notifications.count
        try session.test.write("fresh", "import EdgeSDK\nfunc handle(_ req: Request) -> Response { .text(\"x\") }\n")
        #expect(try session.nextChange(from: start) == nil)
        #expect(try session.targets().contains { $0["id"]?["uri"] == "edge-dev://endpoint/fresh" })

        // The editor closing the pipe ends the server.
        #expect(session.bsp.closeInput() == 0)
    }

    @Test func commandsWriteBuildServerJSON() async throws {
        try await onThread { try Self.commandsWriteBuildServerJSON() }
    }

    static func commandsWriteBuildServerJSON() throws {
        let folder = try TestProject()
        FilePath.removeTree(folder.project.handlersDirectory)
        let created = try runEdgeDev(["new", "hello"], in: folder.root)
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("buildServer.json"), "\(created.output)")
        let path = FilePath.join(folder.root, "buildServer.json")
        let document = try JSONValue.parse(try FilePath.readText(path))
        #expect(document["argv"] == [.string(FilePath.resolvingSymlinks(ServeProcess.executable)), "bsp"])
        #expect(document["bspVersion"] == "2.2.0" && document["languages"] == ["swift"])

        // Current: said nothing; stale (another edge-dev): rewritten; another server's: left alone.
        #expect(!(try runEdgeDev(["new", "other"], in: folder.root).output.contains("buildServer.json")))
        try FilePath.write(#"{"name":"edge-dev","argv":["/moved/edge-dev","bsp"]}"#, to: path)
        #expect(try runEdgeDev(["editor"], in: folder.root).output.contains("wrote buildServer.json"))
        #expect(try JSONValue.parse(try FilePath.readText(path)) == document)
        let foreign = #"{"name":"my-build","argv":["mine"]}"#
        try FilePath.write(foreign, to: path)
        #expect(try runEdgeDev(["editor"], in: folder.root).output.contains("names another build server (my-build)"))
        #expect(try FilePath.readText(path) == foreign)

        // A folder that is also a Swift package keeps its SwiftPM editor support unless asked.
        unlink(path)
        try FilePath.write("// swift-tools-version:6.0\n", to: FilePath.join(folder.root, "Package.swift"))
        #expect(try runEdgeDev(["new", "third"], in: folder.root).status == 0)
        #expect(!FilePath.exists(path))
        #expect(try runEdgeDev(["editor"], in: folder.root).status == 0)
        #expect(FilePath.exists(path))

        // A handlers folder by another name is named in argv.
        try FilePath.createDirectories(FilePath.join(folder.root, "api/hello/src"))
        #expect(try runEdgeDev(["editor", "--handlers", "api"], in: folder.root).status == 0)
        let named = try JSONValue.parse(try FilePath.readText(path))
        #expect(named["argv"]?[2] == "--handlers" && named["argv"]?[3] == .string(FilePath.join(folder.root, "api")))
    }

    /// A language server from another Swift is named, with the one to use; the same one is not.
    @Test func aLanguageServerFromAnotherSwiftIsDetected() async throws {
        let toolchain = try Toolchain.locate()
        let scratch = try TestProject()
        let ours = FilePath.join(FilePath.directory(of: FilePath.resolvingSymlinks(toolchain.swiftc)), "sourcekit-lsp")
        #expect(await ToolchainCheck.mismatch(languageServer: ours, toolchain: toolchain, scratch: scratch.root) == nil)

        let other = FilePath.join(scratch.root, "other/usr/bin")
        // Written by a child process: an executable this process held open for writing could be
        // "busy" for a process another test forks meanwhile (ETXTBSY).
        let made = try runCommand([
            "/bin/sh", "-c",
            "mkdir -p \"$0\" && printf '#!/bin/sh\\necho \"Swift version 5.10 (swift-5.10-RELEASE)\"\\n' "
                + "> \"$0/swift-frontend\" && printf '#!/bin/sh\\n' > \"$0/sourcekit-lsp\" && chmod +x \"$0\"/*",
            other,
        ])
        try #require(made.status == 0, "\(made.output)")
        let theirs = await Toolchain.versionLine(ofCompilerIn: other, scratch: scratch.root)
        #expect(
            theirs == "Swift version 5.10 (swift-5.10-RELEASE)",
            "the fake compiler run by hand: \((try? runCommand([FilePath.join(other, "swift-frontend"), "--version"])).map { "\($0.status) \($0.output)" } ?? "cannot run")"
        )
        let problem = try #require(
            await ToolchainCheck.mismatch(
                languageServer: FilePath.join(other, "sourcekit-lsp"), toolchain: toolchain, scratch: scratch.root))
        #expect(problem.contains("Swift version 5.10") && problem.contains(ours), "\(problem)")
    }
}
