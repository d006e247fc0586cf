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
    /// What to tell the user when `languageServer` (a sourcekit-lsp binary) is from another Swift
    /// than `toolchain`, or nil when they match or the language server's version is unknown.
    public static func mismatch(languageServer: String, toolchain: Toolchain, scratch: String) async -> String? {
        let serverBin = FilePath.directory(of: FilePath.resolvingSymlinks(languageServer))
        let ourBin = FilePath.directory(of: FilePath.resolvingSymlinks(toolchain.swiftc))
        guard serverBin != ourBin else { return nil }
        let ours = await Toolchain.versionLine(ofCompilerIn: ourBin, scratch: scratch)
        let theirs = await Toolchain.versionLine(ofCompilerIn: serverBin, scratch: scratch)
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
