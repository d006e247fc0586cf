import EdgeSystem
import Glibc

/// How clang would link a handler library, asked of clang once (`clang -### -fuse-ld=lld`), then
/// run directly: the clang driver costs about 10 ms of every link here, and `ld.lld` (shipped with
/// the toolchain) links in about 22 ms where clang's default `ld.gold` takes 32.
///
/// The template is clang's own linker line for a shared library of one stand-in input (the
/// toolchain's `swiftrt.o`): the C runtime's files, the library search paths and libgcc for this
/// machine. Each link puts its own inputs where the stand-in was and its output where clang's was.
struct LinkerCommand: Sendable, Equatable {
    let linker: String
    /// The arguments, with `inputMarker` where the inputs go and `outputMarker` for the output.
    let template: [String]

    static let inputMarker = "\u{1}inputs"
    static let outputMarker = "\u{1}output"

    func arguments(inputs: [String], output: String) -> [String] {
        template.flatMap { argument -> [String] in
            switch argument {
            case Self.inputMarker: inputs
            case Self.outputMarker: [output]
            default: [argument]
            }
        }
    }

    /// Asks clang; nil when the toolchain has no `ld.lld` or clang's answer is not understood
    /// (the build then links through clang, as before).
    static func discover(_ toolchain: Toolchain, scratch: String) async -> LinkerCommand? {
        let lld = FilePath.join(FilePath.directory(of: toolchain.clang), "ld.lld")
        guard access(lld, X_OK) == 0 else { return nil }
        try? FilePath.createDirectories(scratch)
        let log = FilePath.join(scratch, "linker-\(getpid()).txt")
        defer { unlink(log) }
        let placeholder = FilePath.join(scratch, "edge-output.so")
        guard
            (try? await Subprocess.run(
                toolchain.clang,
                [
                    "-###", "-fuse-ld=lld", "-shared", "--target=\(toolchain.targetTriple)", toolchain.swiftrtObject,
                    "-o", placeholder,
                ],
                outputFile: log, timeout: .seconds(20))) == 0,
            let text = try? FilePath.readText(log),
            let line = text.split(separator: "\n").last(where: { $0.contains("ld.lld\"") })
        else { return nil }
        let words = quotedWords(String(line))
        guard let first = words.first, FilePath.lastComponent(first) == "ld.lld",
            words.filter({ $0 == toolchain.swiftrtObject }).count == 1, words.contains(placeholder)
        else { return nil }
        let template = words.dropFirst().map { word in
            word == toolchain.swiftrtObject ? inputMarker : word == placeholder ? outputMarker : word
        }
        return LinkerCommand(linker: first, template: template)
    }

    /// The words of a `clang -###` line: each in double quotes, `\"` and `\\` escaped.
    static func quotedWords(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inside = false
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && inside {
                escaped = true
            } else if character == "\"" {
                if inside { words.append(current) }
                current = ""
                inside.toggle()
            } else if inside {
                current.append(character)
            }
        }
        return words
    }
}
