import EdgeSystem
import EdgeTestSupport
import HandlerBuild
import Testing

@Suite(.onOwnThreads) struct LibraryGraphTests {
    @Test func everyFormOfImportIsSeen() {
        let source = """
            import EdgeSDK
            import Foundation.NSString
            @testable import Models
              @_exported import Validation // a comment
            #if canImport(Glibc)
            import Storage
            #endif
            public import Auth
            import struct Money.Amount
            // import Commented
            let importNotALine = 1
            """
        #expect(
            ImportScanner.modules(in: source)
                == ["EdgeSDK", "Foundation", "Models", "Validation", "Storage", "Auth", "Money"])
    }

    @Test func dependentsAndOrderFollowTheImports() {
        let graph = LibraryGraph(
            libraryImports: ["Models": ["Base", "Foundation"], "Base": [], "Auth": ["Models"]],
            endpointImports: ["users": ["Models", "EdgeSDK"], "login": ["Auth"], "hello": ["EdgeSDK"]])
        #expect(graph.cycle() == nil)
        let order = graph.buildOrder() ?? []
        #expect(order.firstIndex(of: "Base")! < order.firstIndex(of: "Models")!)
        #expect(order.firstIndex(of: "Models")! < order.firstIndex(of: "Auth")!)
        #expect(graph.dependentLibraries(of: "Base") == ["Models", "Auth"])
        #expect(graph.dependentEndpoints(of: "Base") == ["login", "users"])
        #expect(graph.dependentEndpoints(of: "Auth") == ["login"])
        #expect(graph.libraries(forEndpoint: "login") == ["Base", "Models", "Auth"])
        #expect(graph.libraries(forEndpoint: "hello").isEmpty)
    }

    @Test func aCycleIsNamed() {
        let graph = LibraryGraph(
            libraryImports: ["A": ["B"], "B": ["C"], "C": ["A"], "D": []], endpointImports: [:])
        #expect(graph.cycle() == ["A", "B", "C", "A"])
        #expect(graph.buildOrder() == nil)
        // The cycle blocks its modules and what imports them, nothing else.
        let withOthers = LibraryGraph(
            libraryImports: ["A": ["B"], "B": ["A"], "UsesA": ["A"], "Free": [], "UsesFree": ["Free"]],
            endpointImports: [:])
        let (blocked, cycles) = withOthers.blockedByCycles()
        #expect(blocked == ["A", "B", "UsesA"])
        #expect(cycles == [["A", "B", "A"]])
        #expect(withOthers.removing(blocked).buildOrder() == ["Free", "UsesFree"])
    }

    @Test func aProjectsLibrariesComeFromUnderscoreLib() throws {
        let test = try TestProject(samples: ["hello"])
        let lib = test.project.libraryDirectory("Models")
        try FilePath.createDirectories(FilePath.join(lib, "Nested"))
        try FilePath.write("public struct User {}\n", to: FilePath.join(lib, "User.swift"))
        try FilePath.write("import Base\npublic struct Team {}\n", to: FilePath.join(lib, "Nested/Team.swift"))
        try FilePath.createDirectories(test.project.libraryDirectory("Base"))
        try FilePath.write(
            "public struct Id {}\n", to: FilePath.join(test.project.libraryDirectory("Base"), "Id.swift"))
        try FilePath.createDirectories(test.project.libraryDirectory("not-a-module"))
        try test.write(
            "users", "import EdgeSDK\nimport Models\nfunc handle(_ req: Request) -> Response { .text(\"\") }\n")
        #expect(test.project.libraryNames() == ["Base", "Models"])
        #expect(test.project.librarySourceFiles("Models").map(FilePath.lastComponent) == ["Team.swift", "User.swift"])
        #expect(!test.project.endpointIDs().contains("_lib"))
        let graph = LibraryGraph.scan(test.project)
        #expect(graph.libraryImports == ["Models": ["Base"], "Base": []])
        #expect(graph.dependentEndpoints(of: "Base") == ["users"])
    }

    /// A shared module built twice (two fresh module names, two libraries at fresh paths), a
    /// module that imports another, and an endpoint that says `import Models` against each
    /// version: both versions' code runs in one process, each answering its own.
    @Test func endpointsUseSharedModulesUnderTheirStableNames() async throws {
        let test = try TestProject()
        func writeLibrary(_ name: String, _ file: String, _ source: String) throws {
            try FilePath.createDirectories(test.project.libraryDirectory(name))
            try FilePath.write(source, to: FilePath.join(test.project.libraryDirectory(name), file))
        }
        try writeLibrary("Base", "Prefix.swift", "public let prefix = \"hello\"\n")
        try writeLibrary(
            "Models", "Greeting.swift",
            "import Base\npublic struct Greeting { public let text: String }\n"
                + "public func greet(_ name: String) -> Greeting { Greeting(text: \"\\(prefix) \\(name) v1\") }\n")
        try test.write(
            "users",
            "import EdgeSDK\nimport Models\nfunc handle(_ req: Request) -> Response { .text(greet(\"ann\").text) }\n")

        let base = try #require(await test.compiler.buildLibrary("Base", version: 1).artifact)
        let first = await test.compiler.buildLibrary("Models", version: 1, dependencies: [base])
        let models1 = try #require(first.artifact, "\(first.result.diagnostics.map(\.formatted))")
        #expect(FilePath.lastComponent(models1.libraryPath) == "libL_Models_1.so")
        let users1 = await test.compiler.build("users", libraries: [base, models1])
        try #require(users1.status == .built, "\(users1.diagnostics.map(\.formatted))")
        try test.registry.load("users", from: users1.libraryPath!, version: users1.version)
        #expect(try await test.execute("users").bodyText == "hello ann v1")

        try writeLibrary(
            "Models", "Greeting.swift",
            "import Base\npublic struct Greeting { public let text: String }\n"
                + "public func greet(_ name: String) -> Greeting { Greeting(text: \"\\(prefix) \\(name) v2\") }\n")
        let models2 = try #require(
            await test.compiler.buildLibrary("Models", version: 2, dependencies: [base]).artifact)
        let users2 = await test.compiler.build("users", libraries: [base, models2])
        try #require(users2.status == .built, "\(users2.diagnostics.map(\.formatted))")
        #expect(users2.version != users1.version)
        try test.registry.load("users", from: users2.libraryPath!, version: users2.version)
        #expect(try await test.execute("users").bodyText == "hello ann v2")

        // A module that does not compile says where, in the user's terms.
        try writeLibrary("Models", "Broken.swift", "public let broken: Int = \"no\"\n")
        let broken = await test.compiler.buildLibrary("Models", version: 3, dependencies: [base])
        #expect(broken.artifact == nil)
        #expect(broken.result.errors.first?.formatted.hasPrefix("handlers/_lib/Models/Broken.swift:1:") == true)
    }

    /// What the editor is told is what `serve` compiles with: the SDK's search path, Swift 6,
    /// `-parse-as-library`, every file of the endpoint, and each module under its alias.
    @Test func editorArgumentsFollowTheBuild() async throws {
        let test = try TestProject()
        try FilePath.createDirectories(test.project.libraryDirectory("Models"))
        try FilePath.write("public let x = 1\n", to: FilePath.join(test.project.libraryDirectory("Models"), "M.swift"))
        try test.write(
            "users", "import EdgeSDK\nimport Models\nfunc handle(_ req: Request) -> Response { .text(\"\\(x)\") }\n")
        try test.write("users", "struct Helper {}\n", file: "Helper.swift")
        let models = try #require(await test.compiler.buildLibrary("Models").artifact)
        let arguments = test.compiler.editorArguments(forEndpoint: "users", libraries: [models])
        let build = test.compiler.frontendArguments(sources: [], moduleName: "m", output: "o", libraries: [models])
        for flag in ["-swift-version", "-parse-as-library", test.compiler.sdk.moduleDirectory, models.directory] {
            #expect(arguments.contains(flag) && build.contains(flag), "\(flag)")
        }
        #expect(arguments.contains("Models=\(models.moduleName)") && build.contains("Models=\(models.moduleName)"))
        #expect(
            arguments.filter { $0.hasSuffix(".swift") }.map(FilePath.lastComponent) == [
                "Helper.swift", "handler.swift",
            ])
        let commands = test.compiler.compileCommands(
            libraries: ["Models": models], graph: LibraryGraph.scan(test.project))
        guard case .array(let entries) = commands else {
            Issue.record("compile_commands.json is not an array: \(commands)")
            return
        }
        #expect(entries.count == 3)  // M.swift, Helper.swift, handler.swift
    }
}
