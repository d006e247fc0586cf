import EdgeSystem
import HandlerBuild

/// The runtime names a handler's file by its per-build module (`H_crash_1/handler.swift:15:
/// Fatal error: ...`): not a path the user can open. Crash messages say the user's path
/// instead (`handlers/crash/src/handler.swift:15: ...`), wherever they are shown.
enum CrashMessage {
    static func userFacing(_ message: String, endpoint id: String, version: Int, project: Project) -> String {
        let module = HandlerCompiler.moduleName(id, version: version) + "/"
        guard message.contains(module) else { return message }
        let sources = project.sourceFiles(id)
        var result = ""
        var rest = Substring(message)
        while let range = rest.firstRange(of: module) {
            result += rest[..<range.lowerBound]
            rest = rest[range.upperBound...]
            let name = rest.prefix { $0 != ":" && $0 != " " && $0 != "\n" }
            // `#fileID` holds the file's name only: find it among the endpoint's sources.
            if let path = sources.first(where: { FilePath.lastComponent($0) == name }) {
                result += project.displayPath(path)
            } else {
                result += project.displayPath(project.sourceDirectory(id)) + "/" + name
            }
            rest = rest.dropFirst(name.count)
        }
        return result + rest
    }
}
