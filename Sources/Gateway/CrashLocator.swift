import EdgeHTTP
import EdgeSystem
import Glibc
import HandlerBuild
import Synchronization

/// Finds the source line of a trapping instruction in the handler's line tables (handlers are
/// built with `-gline-tables-only`), with the toolchain's `llvm-symbolizer`.
///
/// Used when the runtime left no message (overflow at -Onone, a bad pointer, a stack overflow).
/// Answers are cached per image and offset: a handler that crashes in a loop costs one lookup.
public final class CrashLocator: Sendable {
    private let symbolizer: String?
    private let scratchDirectory: String
    private let cache = Mutex<[String: Location]>([:])

    /// What the line tables say of a trapping instruction.
    public struct Location: Sendable, Equatable {
        /// `file:line:column`, when known.
        public var place: String?
        /// The check that failed, from the frame Swift inlines at every runtime check
        /// ("Swift runtime failure: arithmetic overflow" gives "arithmetic overflow").
        public var reason: String?
    }

    public init(toolchain: Toolchain, scratchDirectory: String) {
        let candidate = FilePath.join(FilePath.directory(of: toolchain.swiftFrontend), "llvm-symbolizer")
        symbolizer = access(candidate, X_OK) == 0 ? candidate : nil
        self.scratchDirectory = scratchDirectory
    }

    /// Where the crash happened and why, as far as the line tables say.
    public func locate(_ crash: HandlerCrash) async -> Location {
        guard let symbolizer, let image = crash.imagePath else { return Location() }
        let key = "\(image)@\(crash.imageOffset)"
        if let known = cache.withLock({ $0[key] }) { return known }
        try? FilePath.createDirectories(scratchDirectory)
        let output = FilePath.join(scratchDirectory, "symbolize-\(getpid())-\(crash.imageOffset).txt")
        defer { unlink(output) }
        var location = Location()
        do {
            let status = try await Subprocess.run(
                symbolizer, ["--obj=\(image)", "0x" + String(crash.imageOffset, radix: 16)], outputFile: output)
            if status == 0 { location = Self.parse((try? FilePath.readText(output)) ?? "") }
        } catch {
            location = Location()
        }
        cache.withLock { $0[key] = location }
        return location
    }

    /// llvm-symbolizer prints a function line and a `file:line:column` line per frame, innermost
    /// (inlined) first; `??` and `<compiler-generated>` when it does not know.
    static func parse(_ output: String) -> Location {
        let lines = output.split(separator: "\n").map(String.init)
        var location = Location()
        var index = 0
        while index + 1 < lines.count {
            let function = lines[index]
            let place = lines[index + 1]
            index += 2
            let failure = "Swift runtime failure: "
            if location.reason == nil, function.hasPrefix(failure) {
                location.reason = String(function.dropFirst(failure.count))
            }
            if location.place == nil, !place.hasPrefix("??"), !place.contains("<compiler-generated>"),
                !place.hasSuffix(":0:0")
            {
                location.place = place
            }
        }
        return location
    }
}
