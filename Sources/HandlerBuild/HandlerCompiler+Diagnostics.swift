import EdgeSDK
import Glibc

extension HandlerCompiler {
    nonisolated func parseDiagnostics(_ output: String, endpointID: String, glue: String) -> [Diagnostic] {
        let source = project.displayPath(project.sourceDirectory(endpointID))
        return DiagnosticParser.parse(output) { path in
            path == glue ? glue : project.displayPath(path)
        }.map { diagnostic in
            guard diagnostic.file == glue else { return diagnostic }
            var restated = diagnostic
            restated.file = source
            restated.line = nil
            restated.column = nil
            let expected = "func handle(_ ctx: Context, _ req: Request) async throws -> Response"
            if diagnostic.message.contains("cannot find 'handle' in scope") {
                restated.message = "no handler: define `\(expected)` in \(source)"
            } else {
                restated.message =
                    "`handle` must be `\(expected)` (sync and non-throwing variants work too): \(diagnostic.message)"
            }
            return restated
        }
    }
}
