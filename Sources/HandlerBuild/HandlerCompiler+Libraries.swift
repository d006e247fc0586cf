import EdgeSystem
import Glibc

/// Building one version of a shared module (`handlers/_lib/<Module>`) into its own library at a
/// fresh path, with a fresh module name, for endpoints and other modules to use.
extension HandlerCompiler {
    /// `L_<Module>_<n>`: the module's name in build `n`.
    package nonisolated static func libraryModuleName(_ name: String, version: Int) -> String {
        "L_\(name)_\(version)"
    }

    /// Builds module `name` against `dependencies` (the builds of the modules it imports,
    /// dependencies first) as its next version; or, when an earlier run built these very sources
    /// against these very dependencies, uses that build again (status `unchanged`).
    public func buildLibrary(_ name: String, dependencies: [LibraryArtifact] = []) async
        -> (result: BuildResult, artifact: LibraryArtifact?)
    {
        await warmUp()
        let folder = FilePath.join(project.libraryBuildRoot, name)
        let hash = libraryHash(name, dependencies: dependencies)
        let versions = FilePath.contents(of: folder).compactMap { Int($0) }.sorted()
        let found = versions.reversed().first(where: { reusable(name, version: $0, hash: hash) })
        // The first build of a module in this process: what earlier runs left, other than the
        // build used again, is no one's (nothing of this process links it yet).
        libraryVersions[name] = max(libraryVersions[name] ?? 0, versions.last ?? 0)
        if librariesCleaned.insert(name).inserted {
            for version in versions where version != found {
                FilePath.removeTree(FilePath.join(folder, String(version)))
            }
        }
        if let found {
            let moduleName = Self.libraryModuleName(name, version: found)
            let directory = FilePath.join(folder, String(found))
            let library = FilePath.join(directory, "lib\(moduleName).so")
            let result = BuildResult(
                endpointID: "_lib/\(name)", status: .unchanged, version: found, libraryPath: library,
                durationMilliseconds: 0, diagnostics: [], rawOutput: "", sourceHash: hash)
            return (
                result,
                LibraryArtifact(
                    name: name, version: found, moduleName: moduleName, directory: directory, libraryPath: library)
            )
        }
        let version = (libraryVersions[name] ?? 0) + 1
        libraryVersions[name] = version
        let built = await buildLibrary(name, version: version, dependencies: dependencies)
        if built.artifact != nil, libraryHash(name, dependencies: dependencies) == hash {
            try? FilePath.write(
                String(hash, radix: 16), to: FilePath.join(FilePath.join(folder, String(version)), Self.hashFileName))
        }
        return built
    }

    private nonisolated func reusable(_ name: String, version: Int, hash: UInt64) -> Bool {
        let directory = FilePath.join(FilePath.join(project.libraryBuildRoot, name), String(version))
        let library = FilePath.join(directory, "lib\(Self.libraryModuleName(name, version: version)).so")
        return (try? FilePath.readText(FilePath.join(directory, Self.hashFileName))) == String(hash, radix: 16)
            && FilePath.isRegularFile(library)
    }

    /// The module's sources and its dependencies' builds, and how edge-dev compiles.
    private nonisolated func libraryHash(_ name: String, dependencies: [LibraryArtifact]) -> UInt64 {
        var hasher = ContentHasher()
        hasher.combine(String(sourceHash("_lib/\(name)", project.librarySourceFiles(name), libraries: dependencies)))
        return hasher.value
    }

    /// Compiles module `name` as version `version` into `.edge/build/_lib/<Module>/<n>/`.
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
        let steps = await buildSteps(
            frontends: [frontend], objects: [object], autolink: autolink, output: library, libraries: dependencies,
            soname: "lib\(moduleName).so")
        _ = running.start()
        defer { buildEnded() }
        let outcome = await runSteps(
            steps, log: log, temporary: temporary, started: start,
            folder: project.displayPath(project.libraryDirectory(name)),
            prepare: { () throws(SystemError) in
                FilePath.removeTree(directory)
                try FilePath.createDirectories(temporary)
            },
            diagnostics: { DiagnosticParser.parse($0) { project.displayPath($0) } })
        switch outcome {
        case .superseded(let output): return finish(.superseded, output, [])
        case .failed(let output, let diagnostics): return finish(.failed, output, diagnostics)
        case .built(let output):
            return finish(.built, output, DiagnosticParser.parse(output) { project.displayPath($0) })
        }
    }
}
