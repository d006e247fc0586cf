import EdgeSystem
import Glibc
import HandlerBuild

/// Whether the editor's sourcekit-lsp comes from the Swift that builds the handlers.
///
/// `EdgeSDK.swiftmodule` is a binary module: another compiler version cannot read it, and the
/// editor then shows only "No such module 'EdgeSDK'" or "module compiled with Swift X cannot be
/// imported by the Swift Y compiler". The build server is started by sourcekit-lsp, so its parent
/// process is the language server whose toolchain matters.
public enum ToolchainCheck {
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

    /// What to tell the user when `languageServer` (a sourcekit-lsp binary) is from another Swift
    /// than `toolchain`, or nil when they match or the language server's version is unknown.
    public static func mismatch(languageServer: String, toolchain: Toolchain, scratch: String) async -> String? {
        let serverBin = FilePath.directory(of: FilePath.resolvingSymlinks(languageServer))
        let ourBin = FilePath.directory(of: FilePath.resolvingSymlinks(toolchain.swiftc))
        guard serverBin != ourBin else { return nil }
        let ours = await versionLine(ofCompilerIn: ourBin, scratch: scratch)
        let theirs = await versionLine(ofCompilerIn: serverBin, scratch: scratch)
        guard let ours, let theirs, ours != theirs else { return nil }
        return "the editor's sourcekit-lsp (\(languageServer): \(theirs)) is not from the Swift that edge-dev "
            + "builds handlers with (\(ourBin): \(ours)); it cannot read EdgeSDK.swiftmodule and will show "
            + "\"No such module 'EdgeSDK'\". Point the editor at \(FilePath.join(ourBin, "sourcekit-lsp")) "
            + "(VS Code: set swift.path to \(ourBin); Neovim: cmd = { \"\(FilePath.join(ourBin, "sourcekit-lsp"))\" })"
    }

    /// The executable of this process's parent when it is a sourcekit-lsp, else nil.
    public static func parentLanguageServer() -> String? {
        let path = FilePath.resolvingSymlinks("/proc/\(getppid())/exe")
        return FilePath.lastComponent(path).hasPrefix("sourcekit-lsp") ? path : nil
    }
}
