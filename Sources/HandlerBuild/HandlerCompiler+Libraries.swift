import EdgeSystem
import Glibc

/// Building one version of a shared module (`handlers/_lib/<Module>`) into its own library at a
/// fresh path, with a fresh module name, for endpoints and other modules to use.
extension HandlerCompiler {
    /// `L_<Module>_<n>`: the module's name in build `n`.
    package nonisolated static func libraryModuleName(_ name: String, version: Int) -> String {
        "L_\(name)_\(version)"
    }

    /// Compiles module `name` as version `version`, against `dependencies` (the builds of the
    /// modules it imports, dependencies first), into `.edge/build/_lib/<Module>/<n>/`.
    public nonisolated func buildLibrary(_ name: String, version: Int, dependencies: [LibraryArtifact] = []) async
        -> (result: BuildResult, artifact: LibraryArtifact?)
    {
        await limiter.wait()
        let permit = BuildPermit(limiter)
        defer { permit.release() }
        let start = MonotonicClock.nanoseconds()
        let key = "_lib/\(name)"
        let moduleName = Self.libraryModuleName(name, version: version)
        let directory = FilePath.join(FilePath.join(project.libraryBuildRoot, name), String(version))
        let library = FilePath.join(directory, "lib\(moduleName).so")
        let object = FilePath.join(directory, "module.o")
        let autolink = FilePath.join(directory, "module.autolink")
        let log = FilePath.join(directory, "build.log")
        let temporary = FilePath.join(directory, "tmp")
        let sources = project.librarySourceFiles(name)

        func finish(_ status: BuildResult.Status, _ output: String, _ diagnostics: [Diagnostic])
            -> (result: BuildResult, artifact: LibraryArtifact?)
        {
            FilePath.removeTree(temporary)
            unlink(object)
            unlink(autolink)
            let built = status == .built
            let result = BuildResult(
                endpointID: key, status: status, version: built ? version : nil, libraryPath: built ? library : nil,
                durationMilliseconds: MonotonicClock.milliseconds(since: start), diagnostics: diagnostics,
                rawOutput: output, sourceHash: 0)
            let artifact = LibraryArtifact(
                name: name, version: version, moduleName: moduleName, directory: directory, libraryPath: library)
            return (result, built ? artifact : nil)
        }

        guard !sources.isEmpty else {
            let folder = project.displayPath(project.libraryDirectory(name))
            return finish(
                .failed, "",
                [
                    Diagnostic(
                        file: folder, line: nil, column: nil, severity: .error, message: "no Swift sources in \(folder)"
                    )
                ])
        }
        var frontend = frontendArguments(
            sources: sources, moduleName: moduleName, output: object, libraries: dependencies)
        frontend += ["-emit-module-path", FilePath.join(directory, "\(moduleName).swiftmodule")]
        let steps: [(tool: String, arguments: [String])] = [
            (toolchain.swiftFrontend, frontend),
            (toolchain.autolinkExtract, [object, "-o", autolink]),
            (
                toolchain.clang,
                linkArguments(
                    object: object, autolink: autolink, output: library, libraries: dependencies,
                    soname: "lib\(moduleName).so")
            ),
        ]
        var output = ""
        do {
            FilePath.removeTree(directory)
            try FilePath.createDirectories(temporary)
            for step in steps {
                try Task.checkCancellation()
                let elapsed = Duration.nanoseconds(Int64(MonotonicClock.nanoseconds() &- start))
                let status = try await Subprocess.run(
                    step.tool, step.arguments, outputFile: log, environment: ["TMPDIR": temporary],
                    timeout: buildTimeout - elapsed)
                let text = (try? FilePath.readText(log)) ?? ""
                output += text
                guard status == 0 else {
                    if step.tool == toolchain.clang {
                        return finish(.failed, output, [Self.linkFailure(text, status: status)])
                    }
                    var diagnostics = DiagnosticParser.parse(text) { project.displayPath($0) }
                    if !diagnostics.contains(where: { $0.severity == .error }) {
                        diagnostics.append(
                            Diagnostic(
                                file: nil, line: nil, column: nil, severity: .error,
                                message: "\(FilePath.lastComponent(step.tool)) failed (exit status \(status))"))
                    }
                    return finish(.failed, output, diagnostics)
                }
            }
            return finish(.built, output, DiagnosticParser.parse(output) { project.displayPath($0) })
        } catch is CancellationError {
            return finish(.superseded, output, [])
        } catch {
            return finish(
                .failed, output,
                [Diagnostic(file: nil, line: nil, column: nil, severity: .error, message: String(describing: error))])
        }
    }
}
