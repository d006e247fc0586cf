/// One message from the compiler or linker, with its place in the user's sources.
public struct Diagnostic: Sendable, Equatable, Codable {
    public enum Severity: String, Sendable, Codable {
        case error, warning, note, remark
    }

    /// The file relative to the project folder (`handlers/hello/src/handler.swift`); nil for
    /// messages with no place, such as a linker error.
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var severity: Severity
    public var message: String
    /// Notes the compiler attached to this diagnostic, in order.
    public var notes: [Diagnostic]

    public init(
        file: String?, line: Int?, column: Int?, severity: Severity, message: String,
        notes: [Diagnostic] = []
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
        self.notes = notes
    }

    /// `file:line:col: severity: message`, the form editors and CI parse.
    public var formatted: String {
        var place = ""
        if let file {
            place = file
            if let line { place += ":\(line)" }
            if let column { place += ":\(column)" }
            place += ": "
        }
        return "\(place)\(severity.rawValue): \(message)"
    }
}

/// Turns compiler output (LLVM diagnostic style) into `Diagnostic`s.
enum DiagnosticParser {
    /// Parses `output`; `mapPath` turns the absolute paths the compiler printed into the user's
    /// own paths, or returns nil for a line that should be dropped.
    static func parse(_ output: String, mapPath: (String) -> String?) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for rawLine in output.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let parsed = parseLine(Substring(rawLine)) else { continue }
            var diagnostic = parsed
            if let file = diagnostic.file {
                guard let mapped = mapPath(file) else { continue }
                diagnostic.file = mapped
            }
            if diagnostic.severity == .note, !diagnostics.isEmpty {
                diagnostics[diagnostics.count - 1].notes.append(diagnostic)
            } else if !diagnostics.contains(diagnostic) {
                diagnostics.append(diagnostic)
            }
        }
        return diagnostics
    }

    /// `path:line:col: severity: message`, `path: severity: message` or `tool: severity: message`.
    static func parseLine(_ line: Substring) -> Diagnostic? {
        for severity in ["error", "warning", "note", "remark"] {
            guard let marker = line.firstRange(of: ": \(severity): ") else { continue }
            let place = line[..<marker.lowerBound]
            let message = String(line[marker.upperBound...])
            let kind = Diagnostic.Severity(rawValue: severity)!
            let parts = place.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count >= 3, let lineNumber = Int(parts[parts.count - 2]),
                let column = Int(parts[parts.count - 1])
            {
                let file = parts.dropLast(2).joined(separator: ":")
                return Diagnostic(file: file, line: lineNumber, column: column, severity: kind, message: message)
            }
            if place.hasPrefix("/") {
                return Diagnostic(file: String(place), line: nil, column: nil, severity: kind, message: message)
            }
            // A tool speaking for itself (`clang: error: ...`, `ld.gold: error: ...`).
            return Diagnostic(file: nil, line: nil, column: nil, severity: kind, message: "\(place): \(message)")
        }
        if line.hasPrefix("error: ") {
            return Diagnostic(
                file: nil, line: nil, column: nil, severity: .error, message: String(line.dropFirst(7)))
        }
        return nil
    }
}
