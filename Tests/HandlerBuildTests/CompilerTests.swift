import EdgeSDK
import EdgeSystem
import EdgeTestSupport
import HandlerRuntime
import Testing

@testable import HandlerBuild

@Suite(.onOwnThreads) struct CompilerTests {
    @Test func eachSampleBuildsLoadsAndAnswers() async throws {
        let test = try TestProject(samples: ["hello", "echo", "slow", "todos"])

        try await test.deploy("hello")
        let hello = try await test.execute("hello")
        #expect(hello.status == 200)
        #expect(hello.bodyText.hasPrefix("Hello"))

        try await test.deploy("echo")
        let echo = try await test.execute(
            "echo",
            Request(
                method: "PUT", path: "/echo", queryItems: [.init(name: "a", value: "1"), .init(name: "a", value: "2")],
                headers: ["X-Thing": "yes"], body: Array("payload".utf8)))
        #expect(echo.status == 200)
        #expect(echo.bodyText.contains(#""method":"PUT""#))
        #expect(echo.bodyText.contains(#""a":["1","2"]"#))
        #expect(echo.bodyText.contains(#""x-thing":"yes""#))
        #expect(echo.bodyText.contains(#""body":"payload""#))

        try await test.deploy("slow")
        let slow = try await test.execute("slow", Request(queryItems: [.init(name: "ms", value: "20")]))
        #expect(slow.bodyText == #"{"sleptMilliseconds":20,"version":1}"#)
        let badSlow = try await test.execute("slow", Request(queryItems: [.init(name: "ms", value: "soon")]))
        #expect(badSlow.status == 400)

        try await test.deploy("todos")
        let created = try await test.execute(
            "todos", Request(method: "POST", path: "/todos", body: Array(#"{"title":"milk"}"#.utf8)))
        #expect(created.status == 201)
        #expect(created.bodyText == #"{"done":false,"id":1,"title":"milk"}"#)
        #expect(created.headers["Location"] == "/todos/1")
        let list = try await test.execute("todos", Request(method: "GET", path: "/todos"))
        #expect(list.bodyText == #"[{"done":false,"id":1,"title":"milk"}]"#)
        let one = try await test.execute("todos", Request(method: "GET", path: "/todos/1", pathParameters: ["id": "1"]))
        #expect(one.status == 200)
        let invalid = try await test.execute(
            "todos", Request(method: "POST", path: "/todos", body: Array(#"{"name":"x"}"#.utf8)))
        #expect(invalid.status == 400)
        #expect(invalid.bodyText.contains("missing field 'title'"))
        let deleted = try await test.execute(
            "todos", Request(method: "DELETE", path: "/todos/1", pathParameters: ["id": "1"]))
        #expect(deleted.status == 204)
        let gone = try await test.execute(
            "todos", Request(method: "GET", path: "/todos/1", pathParameters: ["id": "1"]))
        #expect(gone.status == 404)
        let unknown = try await test.execute(
            "todos", Request(method: "DELETE", path: "/todos/99", pathParameters: ["id": "99"]))
        #expect(unknown.status == 404)
    }

    @Test func compileErrorNamesFileLineColumnAndOldVersionKeepsServing() async throws {
        let test = try TestProject()
        try test.write(
            "hello",
            """
            import EdgeSDK
            func handle(_ ctx: Context, _ req: Request) async throws -> Response { .text("v\\(ctx.version)") }
            """)
        try await test.deploy("hello")
        try test.write(
            "hello",
            """
            import EdgeSDK

            func handle(_ ctx: Context, _ req: Request) async throws -> Response {
                let count: Int = "three"
                return .text("\\(count)")
            }
            """)
        let failed = await test.compiler.build("hello")
        #expect(failed.status == .failed)
        #expect(failed.libraryPath == nil)
        let error = try #require(failed.errors.first)
        #expect(error.file == "handlers/hello/src/handler.swift")
        #expect(error.line == 4)
        #expect(error.column == 22)
        #expect(error.message.contains("cannot convert value of type 'String'"))
        #expect(failed.rawOutput.contains("handler.swift:4:22: error:"))
        test.registry.markFailed("hello", message: error.formatted)

        #expect(try await test.execute("hello").bodyText == "v1")
        #expect(test.registry.state(of: "hello") == .loaded)
        #expect(test.registry.lastError(of: "hello")?.contains("handler.swift:4:22") == true)
    }

    @Test func notesAttachToTheirError() async throws {
        let test = try TestProject()
        try test.write(
            "dup",
            """
            import EdgeSDK
            func helper() -> Int { 1 }
            func helper() -> Int { 2 }
            func handle(_ ctx: Context, _ req: Request) -> Response { .text("\\(helper())") }
            """)
        let result = await test.compiler.build("dup")
        let error = try #require(result.errors.first { $0.message.contains("invalid redeclaration") })
        #expect(error.line == 3)
        #expect(error.notes.contains { $0.line == 2 && $0.file == "handlers/dup/src/handler.swift" })
    }

    @Test func missingOrMisshapenHandleIsExplained() async throws {
        let test = try TestProject()
        try test.write("none", "func other() {}\n")
        let none = await test.compiler.build("none")
        #expect(none.status == .failed)
        #expect(
            none.errors.map(\.message) == [
                "no handler: define `func handle(_ ctx: Context, _ req: Request) async throws -> Response` in handlers/none/src"
            ])
        #expect(none.errors.first?.file == "handlers/none/src")

        try FilePath.createDirectories(test.project.sourceDirectory("empty"))
        let empty = await test.compiler.build("empty")
        #expect(empty.errors.first?.message == "no Swift sources in handlers/empty/src")
    }

    @Test func syncAndContextFreeHandlersWork() async throws {
        let test = try TestProject()
        try test.write(
            "sync",
            """
            import EdgeSDK
            func handle(_ ctx: Context, _ req: Request) -> Response { .text("sync \\(ctx.endpointID)") }
            """)
        try test.write(
            "bare",
            """
            import EdgeSDK
            func handle(_ req: Request) throws -> Response { .text("bare \\(req.method)") }
            """)
        try await test.deploy("sync")
        try await test.deploy("bare")
        #expect(try await test.execute("sync").bodyText == "sync sync")
        #expect(try await test.execute("bare", Request(method: "PATCH")).bodyText == "bare PATCH")
    }

    @Test func thrownErrorsBecomeResponses() async throws {
        let test = try TestProject()
        try test.write(
            "errs",
            """
            import EdgeSDK
            struct Broken: Error, CustomStringConvertible { var description: String { "the flux capacitor" } }
            func handle(_ ctx: Context, _ req: Request) async throws -> Response {
                switch req.query("kind") {
                case "conflict": throw HandlerError.conflict("taken")
                case "other": throw Broken()
                default: return .ok(["fine": true])
                }
            }
            """)
        try await test.deploy("errs")
        let conflict = try await test.execute("errs", Request(queryItems: [.init(name: "kind", value: "conflict")]))
        #expect(conflict.status == 409)
        #expect(conflict.bodyText == #"{"error":"conflict","message":"taken","status":409}"#)
        let other = try await test.execute("errs", Request(queryItems: [.init(name: "kind", value: "other")]))
        #expect(other.status == 500)
        #expect(other.bodyText.contains("the flux capacitor"))
    }

    /// A new process (here: a new compiler on the same project) uses the library an earlier one
    /// built from the same sources, and numbers new versions after the ones it finds.
    @Test func aLaterRunReusesTheBuildOfUnchangedSources() async throws {
        let test = try TestProject(samples: ["hello"])
        let first = try await test.build("hello")
        let second = HandlerCompiler(
            project: test.project, toolchain: try Toolchain.locate(), sdk: try SDKLocation.locate())
        let reused = await second.build("hello")
        #expect(reused.status == .unchanged)
        #expect(reused.version == 1)
        #expect(reused.libraryPath == first.libraryPath)
        #expect(reused.durationMilliseconds < 50)
        let handler = try test.registry.load("hello", from: reused.libraryPath!, version: reused.version)
        #expect(handler.version == 1)

        try test.write("hello", "import EdgeSDK\nfunc handle(_ req: Request) -> Response { .text(\"changed\") }\n")
        let third = HandlerCompiler(
            project: test.project, toolchain: try Toolchain.locate(), sdk: try SDKLocation.locate())
        let rebuilt = await third.build("hello")
        #expect(rebuilt.status == .built)
        #expect(rebuilt.version == 2)
        #expect(!FilePath.exists(FilePath.directory(of: first.libraryPath!)), "the stale version's folder is gone")

        let forced = HandlerCompiler(
            project: test.project, toolchain: try Toolchain.locate(), sdk: try SDKLocation.locate())
        #expect(await forced.build("hello", force: true).version == 3)
    }

    @Test func unchangedSourcesSkipTheBuildAndEachVersionGetsAFreshPath() async throws {
        let test = try TestProject(samples: ["hello"])
        let first = try await test.build("hello")
        let again = await test.compiler.build("hello")
        #expect(again.status == .unchanged)
        #expect(again.libraryPath == first.libraryPath)
        #expect(again.version == 1)

        try test.write(
            "hello", "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(\"two\") }\n")
        let second = try await test.build("hello")
        #expect(second.version == 2)
        #expect(second.libraryPath != first.libraryPath)
        #expect(second.libraryPath == test.project.buildRoot + "/hello/2/libhandler_hello.so")
        #expect(FilePath.exists(first.libraryPath!))

        let forced = await test.compiler.build("hello", force: true)
        #expect(forced.status == .built && forced.version == 3)
    }

    @Test func aNewerBuildSupersedesTheOneRunning() async throws {
        let test = try TestProject()
        try test.write(
            "race", "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(\"old\") }\n")
        _ = try await test.build("race")
        try test.write(
            "race", "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(\"middle\") }\n")
        let compiler = test.compiler
        let first = Task { await compiler.build("race", request: 1) }
        // The second asks once the first is compiling (an unstructured task may start late).
        #expect(await eventually { !compiler.running.isIdle }, "the first build never started")
        try test.write(
            "race", "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(\"newest\") }\n")
        let second = await compiler.build("race", request: 2)
        let firstResult = await first.value
        #expect(second.status == .built)
        // The first was cancelled mid-build, or had finished just before the second asked.
        #expect(firstResult.status == .superseded || firstResult.status == .built)
        try test.registry.load("race", from: try #require(second.libraryPath), version: second.version)
        #expect(try await test.execute("race").bodyText == "newest")
    }

    @Test func releaseModeBuildsWithOptimizations() async throws {
        let test = try TestProject(samples: ["hello"])
        let compiler = HandlerCompiler(
            project: test.project, toolchain: test.compiler.toolchain, sdk: test.compiler.sdk, mode: .release)
        let result = await compiler.build("hello")
        #expect(result.status == .built)
        #expect(compiler.frontendArguments(sources: [], moduleName: "M", output: "o").contains("-O"))
    }

    /// A full disk at link time: the user is shown the linker's own message, not only clang's.
    @Test func aFailedLinkSaysWhatTheLinkerSaid() {
        let output = """
            /usr/bin/ld.gold: fatal error: .edge/build/hello/3/libhandler_hello.so: write: No space left on device
            clang: error: linker command failed with exit code 1 (use -v to see invocation)

            """
        let diagnostic = HandlerCompiler.linkFailure(output, status: 1)
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.message.contains("No space left on device"))
        #expect(!diagnostic.message.contains("linker command failed"))
        #expect(HandlerCompiler.linkFailure("", status: 1).message == "linking failed (exit status 1)")
    }
}
