/// One built version of a shared module: what its dependents compile and link against.
public struct LibraryArtifact: Sendable, Equatable {
    /// The name sources import (`Models`).
    public var name: String
    public var version: Int
    /// The module's own name in this build (`L_Models_4`): fresh per build, as every loaded image
    /// must have its own (docs/architecture.md, fact 4); dependents reach it with
    /// `-module-alias Models=L_Models_4`.
    public var moduleName: String
    /// The folder holding `<moduleName>.swiftmodule` and the library.
    public var directory: String
    /// `lib<moduleName>.so`, also its SONAME.
    public var libraryPath: String

    public init(name: String, version: Int, moduleName: String, directory: String, libraryPath: String) {
        self.name = name
        self.version = version
        self.moduleName = moduleName
        self.directory = directory
        self.libraryPath = libraryPath
    }
}
