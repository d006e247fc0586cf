import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Glibc
import HandlerBuild
import HandlerRuntime
import Synchronization
import Testing

/// A real project folder in a temporary directory, with a real compiler and registry.
///
/// Every test project shares one module cache, so only the first build of a test run pays for
/// warming it.
package final class TestProject: Sendable {
    package static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = FilePath.directory(of: path) }  // EdgeTestSupport, Tests, root
        return path
    }()

    package static let samples = FilePath.join(repositoryRoot, "sample-handlers")
    package static let sharedModuleCache = FilePath.join(tempRoot(), "edge-dev-tests-module-cache")

    package let root: String
    package let project: Project
    package let compiler: HandlerCompiler
    package let registry: HandlerRegistry

    /// A project holding copies of the named samples.
    package init(samples: [String] = [], cleanupInterval: Duration = .milliseconds(100)) throws {
        var template = Array(FilePath.join(Self.tempRoot(), "edge-dev-test-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw SystemError.current("mkdtemp") }
        root = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        project = Project(handlersDirectory: FilePath.join(root, "handlers"), moduleCache: Self.sharedModuleCache)
        try FilePath.createDirectories(project.handlersDirectory)
        compiler = HandlerCompiler(project: project, toolchain: try Toolchain.locate(), sdk: try SDKLocation.locate())
        registry = HandlerRegistry(buildRoot: project.buildRoot, cleanupInterval: cleanupInterval)
        for sample in samples {
            try copyTree(FilePath.join(Self.samples, sample), to: project.endpointDirectory(sample))
        }
    }

    deinit { FilePath.removeTree(root) }

    /// Writes `source` as `handlers/<id>/src/<file>`.
    package func write(_ id: String, _ source: String, file: String = "handler.swift") throws {
        try FilePath.createDirectories(project.sourceDirectory(id))
        try FilePath.write(source, to: FilePath.join(project.sourceDirectory(id), file))
    }

    /// Builds `id` and expects success.
    package func build(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> BuildResult {
        let result = await compiler.build(id)
        let errors = result.diagnostics.map(\.formatted).joined(separator: "\n")
        try #require(
            result.status == .built, "build of \(id) failed:\n\(errors)\n\(result.rawOutput)",
            sourceLocation: sourceLocation)
        return result
    }

    /// Builds `id` and loads (or gracefully swaps to) the new version.
    @discardableResult
    package func deploy(_ id: String) async throws -> LoadedHandler {
        let result = try await build(id)
        return try registry.load(id, from: result.libraryPath!, version: result.version)
    }

    /// `ctx.state` for every call through `execute`, as the dev server keeps it per endpoint.
    package let state = StateStore()

    package func execute(_ id: String, _ request: Request = Request()) async throws -> Response {
        try await registry.execute(
            id, context: Context(endpointID: id, version: 0, requestID: "test", state: state), request: request)
    }

    private func copyTree(_ source: String, to destination: String) throws {
        if FilePath.isDirectory(source) {
            try FilePath.createDirectories(destination)
            for name in FilePath.contents(of: source) {
                try copyTree(FilePath.join(source, name), to: FilePath.join(destination, name))
            }
        } else {
            try FilePath.write(try FilePath.readBytes(source), to: destination)
        }
    }

    package static func tempRoot() -> String {
        getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    }
}

/// Resident memory of this process in KiB, from /proc/self/statm.
package func residentKiB() -> Int {
    guard let statm = try? FilePath.readText("/proc/self/statm") else { return 0 }
    let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

/// Polls `condition` until it holds or `timeout` passes.
package func eventually(
    timeout: Duration = .seconds(10), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

package final class AtomicFlag: Sendable {
    package init() {}
    private let flag = Atomic<Bool>(false)
    package var isSet: Bool { flag.load(ordering: .acquiring) }
    package func set() { flag.store(true, ordering: .releasing) }
}

package final class AtomicCounter: Sendable {
    package init() {}
    private let count = Atomic<Int>(0)
    package var value: Int { count.load(ordering: .relaxed) }
    package func increment() { count.wrappingAdd(1, ordering: .relaxed) }
}

package final class LockedList: Sendable {
    package init() {}
    private let storage = Mutex<[String]>([])
    package var items: [String] { storage.withLock { $0 } }
    package func append(_ item: String) { storage.withLock { $0.append(item) } }
}
