import EdgeSystem
import EdgeTestSupport
import Glibc
import Production

/// Bundles of the samples, built by the real `edge-dev bundle` (release builds of every
/// endpoint and module): once per test process, the builds take seconds.
enum BundleFixture {
    /// Every sample, the shared module and the migrations.
    static let samples = FilePath.contents(of: TestProject.samples).filter {
        FilePath.isDirectory(FilePath.join(TestProject.samples, $0))
    }

    /// A project of the samples and its bundle, shared by the tests (which copy it before use).
    static let shared = Task { () throws -> (project: TestProject, bundle: String) in
        let project = try TestProject(samples: samples)
        let bundle = FilePath.join(project.root, "bundle-1")
        try await bundleProject(project, to: bundle)
        return (project, bundle)
    }

    static func bundleProject(_ project: TestProject, to output: String) async throws {
        let result = try await onThread {
            try runCommand([
                ServeProcess.executable, "bundle", "--handlers", project.project.handlersDirectory, "-o", output,
            ])
        }
        guard result.status == 0 else {
            throw SystemError("edge-dev bundle failed (\(result.status)):\n\(result.output)", code: 0)
        }
    }

    /// A copy of `bundle` at `target` (links kept as links), as a deploy would make one.
    static func copy(_ bundle: String, to target: String) async throws {
        let result = try await onThread { try runCommand(["/bin/cp", "-a", bundle, target]) }
        guard result.status == 0 else { throw SystemError("cp failed: \(result.output)", code: 0) }
    }

    /// `serve --bundle` of `bundle` on free ports, from the bundle's own `bin/edge-dev`.
    static func serve(
        _ bundle: String, executable: String? = nil, launcher: [String] = [], extra: [String] = [],
        environment: [String: String] = [:], handOver: Int32? = nil
    ) throws -> ServeProcess {
        let words =
            launcher + [executable ?? FilePath.join(bundle, "bin/edge-dev"), "serve", "--bundle", bundle]
            + (handOver == nil && !extra.contains("--port") ? ["--port", "0"] : []) + ["--ops-address", "127.0.0.1:0"]
            + extra
        return try ServeProcess(
            command: words, logPath: FilePath.directory(of: bundle) + "/serve-\(UInt32.random(in: 0...UInt32.max)).log",
            environment: environment, handOver: handOver)
    }

    /// The ops listener's port, from the `ops on http://...` line.
    static func opsPort(_ serve: ServeProcess) async throws -> Int {
        let line = try await serve.waitFor("ops on http://")
        return Int(line.split(separator: ":").last ?? "") ?? 0
    }
}
