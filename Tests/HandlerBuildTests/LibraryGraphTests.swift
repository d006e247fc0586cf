import EdgeSystem
import EdgeTestSupport
import HandlerBuild
import Testing

@Suite struct LibraryGraphTests {
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
}
