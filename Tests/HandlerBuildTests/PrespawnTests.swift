import EdgeSystem
import EdgeTestSupport
import Glibc
import Testing

@testable import HandlerBuild

/// Tools started ahead of need: held before `main` by the real shim (compiled with the
/// toolchain's clang), run with the arguments, output file and environment handed over later.
@Suite(.onOwnThreads) struct PrespawnTests {
    static func shim(_ test: TestProject) async throws -> String {
        try #require(await PrespawnShim.build(test.compiler.toolchain, project: test.project))
    }

    @Test func aHeldToolRunsOnlyOnceHandedItsWork() async throws {
        let test = try TestProject()
        let shim = try await Self.shim(test)
        let marker = FilePath.join(test.root, "ran")
        let output = FilePath.join(test.root, "out.txt")
        let held = try PrespawnedProcess(executable: "/bin/sh", shim: shim)
        #expect(held.waitUntilReady(timeout: .seconds(10)))
        try await Task.sleep(for: .milliseconds(200))
        #expect(!FilePath.exists(marker), "main ran before the process was handed its work")
        let status = try await held.run(
            ["-c", "touch \(marker); echo \"$GREETING ${EDGE_PRESPAWN_FD:-unset} ${LD_PRELOAD:-unset}\"; exit 3"],
            outputFile: output, environment: ["GREETING": "hello"])
        #expect(status == 3)
        #expect(FilePath.exists(marker))
        // The shim leaves no trace for the tool's own children.
        #expect(try FilePath.readText(output) == "hello unset unset\n")
    }

    @Test func aProcessWithoutTheShimIsNeverTakenForReady() async throws {
        let test = try TestProject()
        let held = try PrespawnedProcess(executable: "/bin/true", shim: FilePath.join(test.root, "missing.so"))
        #expect(!held.waitUntilReady(timeout: .seconds(10)))
        held.discard()
    }

    @Test func aDiscardedProcessEndsWithoutRunning() async throws {
        let test = try TestProject()
        let shim = try await Self.shim(test)
        let marker = FilePath.join(test.root, "ran")
        let held = try PrespawnedProcess(executable: "/usr/bin/touch", shim: shim)
        #expect(held.waitUntilReady(timeout: .seconds(10)))
        let pid = held.pid
        held.discard()
        let gone = await eventually(timeout: .seconds(5)) { kill(pid, 0) != 0 }
        #expect(gone, "a discarded held process should exit")
        #expect(!FilePath.exists(marker))
    }

    @Test func buildsAfterTheFirstUseHeldCompilersAndLinkers() async throws {
        let test = try TestProject(samples: ["hello"])
        _ = try await test.build("hello")
        let pool = try #require(test.compiler.tools)
        let frontend = test.compiler.toolchain.swiftFrontend
        let filled = await eventually(timeout: .seconds(20)) { pool.heldCount(frontend) == pool.capacity[frontend] }
        #expect(filled, "the pool fills once the first build is done")
        try test.write(
            "hello", "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(\"held\") }\n")
        _ = try await test.deploy("hello")
        #expect(try await test.execute("hello").bodyText == "held")
    }

    @Test func largeEndpointsAreSplitAcrossFrontendJobsBySize() throws {
        let test = try TestProject()
        var files: [String] = []
        for (index, size) in [100, 900, 300, 500, 200, 700, 400, 800].enumerated() {
            let file = FilePath.join(test.root, "f\(index).swift")
            try FilePath.write(String(repeating: "/", count: size), to: file)
            files.append(file)
        }
        let glue = FilePath.join(test.root, "_edge_entry.swift")
        let plan = HandlerCompiler.frontendJobPlan(files, glue: glue, jobs: 2)
        #expect(plan.count == 2)
        #expect(Set(plan.joined()) == Set(files + [glue]) && plan.joined().count == files.count + 1)
        let loads = plan.map { $0.reduce(0) { $0 + (FilePath.modification($1)?.size ?? 0) } }
        #expect(abs(Int(loads[0]) - Int(loads[1])) <= 100, "\(loads)")
        // One file (hello and its glue), or one job allowed: one job over everything.
        #expect(HandlerCompiler.frontendJobPlan([files[0]], glue: glue, jobs: 2) == [[files[0], glue]])
        #expect(HandlerCompiler.frontendJobPlan(files, glue: glue, jobs: 1) == [files + [glue]])
        #expect(HandlerCompiler.frontendJobPlan(Array(files.prefix(2)), glue: glue, jobs: 4).count == 2)
    }

    @Test func aLargeEndpointBuiltInSeveralJobsServesAndReportsAnErrorOnce() async throws {
        let test = try TestProject()
        for index in 0..<8 {
            try test.write(
                "big", "struct Part\(index): Codable { var name = \"part \(index)\" }\n", file: "Part\(index).swift")
        }
        let parts = (0..<8).map { "Part\($0)().name" }.joined(separator: ", ")
        try test.write(
            "big",
            "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response {\n"
                + "    let names: [String] = [\(parts)]\n    return .text(names.joined(separator: \", \"))\n}\n")
        try #require(test.compiler.frontendJobCount >= 2 || availableCores() < 2)
        _ = try await test.deploy("big")
        #expect(try await test.execute("big").bodyText.hasPrefix("part 0, part 1"))

        try test.write("big", "struct Part3: Codable { var name: String = 3 }\n", file: "Part3.swift")
        let failed = await test.compiler.build("big")
        #expect(failed.status == .failed)
        let errors = failed.diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(errors.map(\.formatted))")
        #expect(errors.first?.file?.hasSuffix("big/src/Part3.swift") == true && errors.first?.line == 1)
    }
}
