import EdgeHTTP
import EdgeSDK
import EdgeSystem
import HandlerBuild

/// Error responses from edge-dev itself: JSON for programs, a small HTML page for browsers.
enum ErrorPage {
    static func response(_ error: HandlerError, for incoming: IncomingRequest) -> Response {
        guard incoming.wantsHTML else { return error.response }
        return .html(
            page(title: "\(error.status) \(HTTPStatus.reason(error.status))", body: "<p>\(escape(error.message))</p>"),
            status: error.status)
    }

    /// The 500 an endpoint answers while it has no working version: its compile errors, with the
    /// source line of each.
    static func compileErrors(
        endpoint: String, diagnostics: [Diagnostic], project: Project, for incoming: IncomingRequest
    ) -> Response {
        let message = "endpoint '\(endpoint)' failed to build"
        guard incoming.wantsHTML else {
            let body = JSONValue.object([
                ("error", "build_failed"),
                ("message", .string(message)),
                ("status", 500),
                ("diagnostics", .array(diagnostics.map(\.json))),
            ])
            return Response(
                status: 500, headers: ["Content-Type": "application/json"], body: Array(body.serialized.utf8))
        }
        var html = "<p>\(escape(message)). Fix it and save: the page reloads with the new version.</p>"
        for diagnostic in diagnostics {
            html += "<div class=\"diag\"><div class=\"place\">\(escape(diagnostic.formatted))</div>"
            html += sourceExcerpt(
                file: diagnostic.file, line: diagnostic.line, column: diagnostic.column, project: project)
            html += "</div>"
        }
        return .html(page(title: "Build failed: \(endpoint)", body: html), status: 500)
    }

    /// The 500 for a request whose handler trapped: which endpoint and version, and the fatal
    /// message.
    static func crash(endpoint: String, version: Int, message: String, for incoming: IncomingRequest) -> Response {
        failure(
            status: 500, code: "handler_crashed", endpoint: endpoint, version: version,
            message: "endpoint '\(endpoint)' v\(version) crashed: \(message)", for: incoming)
    }

    /// The 504 for a request whose handler did not answer in time.
    static func timeout(endpoint: String, version: Int, after: String, for incoming: IncomingRequest) -> Response {
        failure(
            status: 504, code: "handler_timeout", endpoint: endpoint, version: version,
            message: "endpoint '\(endpoint)' v\(version) did not answer within \(after)", for: incoming)
    }

    private static func failure(
        status: Int, code: String, endpoint: String, version: Int, message: String, for incoming: IncomingRequest
    ) -> Response {
        guard incoming.wantsHTML else {
            let body = JSONValue.object([
                ("error", .string(code)),
                ("message", .string(message)),
                ("status", JSONValue(status)),
                ("endpoint", .string(endpoint)),
                ("version", JSONValue(version)),
            ])
            return Response(
                status: status, headers: ["Content-Type": "application/json"], body: Array(body.serialized.utf8))
        }
        return .html(
            page(
                title: "\(status) \(HTTPStatus.reason(status)): \(endpoint) v\(version)",
                body:
                    "<p class=\"place\">\(escape(message))</p><p>The server keeps serving; save a fix to redeploy.</p>"),
            status: status)
    }

    /// The source line a diagnostic points at, with a caret under its column, as `<pre>`; empty
    /// when the file or line cannot be read.
    static func sourceExcerpt(file: String?, line: Int?, column: Int?, project: Project) -> String {
        guard let file, !file.isEmpty, let line,
            let text = try? FilePath.readText(FilePath.join(project.rootDirectory, file))
        else { return "" }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1 && line <= lines.count else { return "" }
        var html = "<pre>\(line) | \(escape(String(lines[line - 1])))"
        if let column {
            html +=
                "\n\(String(repeating: " ", count: String(line).count)) | \(String(repeating: " ", count: max(0, column - 1)))^"
        }
        return html + "</pre>"
    }

    static func page(title: String, body: String) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font:15px/1.5 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.3em}
        .diag{margin:1em 0}.place{font-weight:600;color:#b00}pre{background:#f6f6f6;padding:.6em;overflow:auto}</style>
        </head><body><h1>\(escape(title))</h1>\(body)<hr><small>edge-dev</small></body></html>
        """
    }

    static func escape(_ text: String) -> String { Markup.escape(text) }
}
