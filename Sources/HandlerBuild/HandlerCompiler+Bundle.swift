extension HandlerCompiler {
    /// Builds `endpointID` as `version` exactly, from the sources on disk now: no earlier build
    /// reused, nothing superseded. For a bundle, whose versions are named by content.
    public nonisolated func build(
        _ endpointID: String, version: Int, libraries: [LibraryArtifact] = []
    ) async -> BuildResult {
        let sources = project.sourceFiles(endpointID)
        return await compile(
            endpointID, version: version, sources: sources,
            hash: sourceHash(endpointID, sources, libraries: libraries), libraries: libraries)
    }
}
