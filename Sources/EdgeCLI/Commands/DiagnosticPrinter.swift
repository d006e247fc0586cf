import HandlerBuild

/// Prints diagnostics the way the compiler does: `path:line:col: error: message`, then notes.
enum DiagnosticPrinter {
    static func format(_ diagnostic: Diagnostic, style: TerminalStyle) -> String {
        var text = line(diagnostic, style: style)
        for note in diagnostic.notes { text += line(note, style: style) }
        return text
    }

    private static func line(_ diagnostic: Diagnostic, style: TerminalStyle) -> String {
        let severity: String
        switch diagnostic.severity {
        case .error: severity = style.red("error")
        case .warning: severity = style.yellow("warning")
        case .note, .remark: severity = style.cyan(diagnostic.severity.rawValue)
        }
        var place = ""
        if let file = diagnostic.file {
            place = file
            if let line = diagnostic.line { place += ":\(line)" }
            if let column = diagnostic.column { place += ":\(column)" }
            place = style.bold(place) + ": "
        }
        return "\(place)\(severity): \(diagnostic.message)\n"
    }
}
