import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

/// Shared modules under `handlers/_lib/` through the real binary: real builds, real saves.
@Suite(.onOwnThreads, .serialized) struct SharedModuleTests {
    static func until(_ port: Int, _ target: String, _ text: String, seconds: Int = 20) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if (try? ServeProcess.get(port: port, target).text) == text { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    static func version(of id: String, port: Int) throws -> JSONValue? {
        let status = try JSONValue.parse(try ServeProcess.get(port: port, "/_edge/status").text)
        guard case .array(let endpoints) = status["endpoints"] else { return nil }
        return endpoints.first { $0["id"] == .string(id) }?["version"]
    }

    static func library(_ name: String, port: Int) throws -> JSONValue? {
        let status = try JSONValue.parse(try ServeProcess.get(port: port, "/_edge/status").text)
        guard case .array(let libraries) = status["libraries"] else { return nil }
        return libraries.first { $0["id"] == .string(name) }
    }

    @Test func modulesRebuildTheirDependentsAndOnlyThem() async throws {
        let test = try TestProject(samples: ["hello"])
        func module(_ name: String, _ source: String) throws {
            try FilePath.createDirectories(test.project.libraryDirectory(name))
            try FilePath.write(source, to: FilePath.join(test.project.libraryDirectory(name), "\(name).swift"))
        }
        try module("Base", "public let prefix = \"a\"\n")
        try module(
            "Models",
            "import Base\npublic let modelsVersion = \"m1\"\npublic func greet(_ n: String) -> String { \"\\(prefix)-\\(n)-\\(modelsVersion)\" }\n"
        )
        try test.write(
            "users",
            "import EdgeSDK\nimport Models\nfunc handle(_ req: Request) -> Response { .text(greet(\"users\")) }\n")
        try test.write(
            "login", "import EdgeSDK\nimport Models\nfunc handle(_ req: Request) -> Response { .text(modelsVersion) }\n"
        )
        let serve = try ServeProcess(handlers: test.project.handlersDirectory, arguments: ["--no-access-log"])
        let port = try await serve.waitUntilReady()
        #expect(try ServeProcess.get(port: port, "/users").text == "a-users-m1")
        #expect(try ServeProcess.get(port: port, "/login").text == "m1")
        #expect(try Self.version(of: "hello", port: port) == 1)
        #expect(try Self.library("Models", port: port)?["dependents"] == .array(["login", "users"]))

        // An edit of a module: every dependent serves it; an endpoint that does not import it stays.
        try module(
            "Models",
            "import Base\npublic let modelsVersion = \"m2\"\npublic func greet(_ n: String) -> String { \"\\(prefix)-\\(n)-\\(modelsVersion)\" }\n"
        )
        #expect(try await Self.until(port, "/users", "a-users-m2"))
        #expect(try await Self.until(port, "/login", "m2"))
        let line = try await serve.waitFor("Models: v2 built in")
        #expect(line.contains("rebuilding 2 dependents: login, users"), "\(line)")
        #expect(try Self.version(of: "hello", port: port) == 1)

        // An edit of the inner module rebuilds both layers.
        try module("Base", "public let prefix = \"b\"\n")
        #expect(try await Self.until(port, "/users", "b-users-m2"))

        // A module that does not compile: its errors in the user's paths, dependents keep serving.
        try module("Models", "import Base\npublic let modelsVersion: Int = \"broken\"\n")
        let error = try await serve.waitFor("handlers/_lib/Models/Models.swift:2:")
        #expect(error.contains("error"), "\(error)")
        try await serve.waitFor("Models: build failed")
        #expect(try ServeProcess.get(port: port, "/users").text == "b-users-m2")
        #expect(try Self.library("Models", port: port)?["state"] == "error")
        let dashboard = try ServeProcess.get(port: port, "/_edge/").text
        #expect(dashboard.contains(#"id="library-Models" data-state="error""#))
        #expect(dashboard.contains("handlers/_lib/Models/Models.swift"))
        #expect(try Self.library("Models", port: port)?["dependents"] == .array(["login", "users"]))

        // The fix swaps them all.
        try module(
            "Models",
            "import Base\npublic let modelsVersion = \"m3\"\npublic func greet(_ n: String) -> String { \"\\(prefix)-\\(n)-\\(modelsVersion)\" }\n"
        )
        #expect(try await Self.until(port, "/users", "b-users-m3"))
        #expect(try await Self.until(port, "/login", "m3"))

        // A change that breaks one dependent: it reports its own error and keeps serving; the
        // other swaps.
        try module("Models", "import Base\npublic let modelsVersion = \"m4\"\n")
        #expect(try await Self.until(port, "/login", "m4"))
        try await serve.waitFor("users: build failed")
        #expect(try ServeProcess.get(port: port, "/users").text == "b-users-m3")
        #expect(try Self.library("Models", port: port)?["state"] == "loaded")

        // An import cycle names both modules.
        try module("Cycle1", "import Cycle2\npublic let one = 1\n")
        try module("Cycle2", "import Cycle1\npublic let two = 2\n")
        let cycle = try await serve.waitFor("import cycle between shared modules")
        #expect(cycle.contains("Cycle1") && cycle.contains("Cycle2"), "\(cycle)")
        #expect(try await serve.terminate(SIGTERM) == 0)
    }
}
