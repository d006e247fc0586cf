import EdgeSystem
import Glibc

extension Toolchain {
    /// `Swift version 6.3.1 (swift-6.3.1-RELEASE)` for the compiler in `binDirectory`, or nil.
    public static func versionLine(ofCompilerIn binDirectory: String, scratch: String) async -> String? {
        let frontend = FilePath.join(binDirectory, "swift-frontend")
        guard access(frontend, X_OK) == 0 else { return nil }
        let output = FilePath.join(scratch, "swift-version-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt")
        defer { unlink(output) }
        // A few tries: starting a program can fail for a moment (ETXTBSY while another process
        // still has it open for writing, say).
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(50)) }
            guard (try? await Subprocess.run(frontend, ["--version"], outputFile: output, timeout: .seconds(10))) == 0,
                let text = try? FilePath.readText(output)
            else { continue }
            return text.split(separator: "\n").first { $0.contains("Swift version") }.map(String.init)
        }
        return nil
    }

    /// `Swift version ...` of this toolchain's compiler, or nil.
    public func versionLine(scratch: String) async -> String? {
        await Self.versionLine(ofCompilerIn: FilePath.directory(of: swiftFrontend), scratch: scratch)
    }
}
