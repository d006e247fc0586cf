import EdgeSystem
import Glibc
import HandlerBuild
import Production

/// `edge-dev bundle -o OUT`: everything the handlers need to serve, in one folder.
public enum BundleCommand {
    public static let output = Option<String>(
        "-o", "OUT", help: "The bundle folder to write (replaced if it holds an earlier bundle).", default: "bundle")

    public static let spec = CommandSpec(
        name: "bundle",
        abstract: "Build every endpoint for production into a folder that `edge-dev serve --bundle` runs anywhere.",
        options: [CommonOptions.handlers, output])

    public static func run(_ arguments: ParsedArguments) async -> Int32 {
        // `edge-dev bundle | head -1` must not end the build half-way (SIGPIPE at the second
        // line): progress lines to a closed pipe are dropped instead.
        signal(SIGPIPE, SIG_IGN)
        guard let project = arguments.existingProject() else { return 1 }
        guard !project.endpointIDs().isEmpty else {
            HostLog.err("error: no endpoints in \(project.handlersDirectory) (expected <id>/src/*.swift)\n")
            return 1
        }
        let start = MonotonicClock.nanoseconds()
        do {
            let builder = try BundleBuilder(project: project, output: arguments[output])
            let manifest = try await builder.build { HostLog.line($0) }
            let size = FilePath.treeSize(builder.output)
            HostLog.line(
                "bundle: \(builder.output) (\(manifest.endpoints.count) endpoints, \(manifest.modules.count) modules, "
                    + "\(size / 1_048_576) MiB) in \(Int(MonotonicClock.milliseconds(since: start))) ms")
            for endpoint in manifest.endpoints {
                HostLog.line(
                    "  \(endpoint.id)  \(endpoint.hash)  \(endpoint.methods.joined(separator: ",")) \(endpoint.paths.joined(separator: " "))"
                )
            }
            return 0
        } catch let error as BundleError {
            HostLog.err("error: \(error)\n")
            return 1
        } catch {
            HostLog.err("error: \(error)\n")
            return 1
        }
    }
}
