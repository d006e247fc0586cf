import EdgeSystem
import HandlerBuild

/// Options more than one command takes, declared once.
public enum CommonOptions {
    public static let handlers = Option<String>("--handlers", "DIR", help: "The handlers folder.", default: "handlers")
    public static let release = Flag("--release", help: "Build handlers with optimizations (-O).")
    public static let buildTimeout = Option<Duration>(
        "--build-timeout", help: "Stop a build that runs longer than this and report it as failed.",
        defaultSeconds: 60)
}

extension ParsedArguments {
    /// The project named by `--handlers`, or nil after saying that its folder is missing.
    public func existingProject() -> Project? {
        Project.existing(self[CommonOptions.handlers])
    }
}

extension Project {
    /// The project whose handlers folder is `handlers`, or nil after saying that it is missing.
    static func existing(_ handlers: String) -> Project? {
        let project = Project(handlersDirectory: handlers)
        guard FilePath.isDirectory(project.handlersDirectory) else {
            HostLog.err("error: no handlers folder at \(project.handlersDirectory)\n")
            return nil
        }
        return project
    }
}
