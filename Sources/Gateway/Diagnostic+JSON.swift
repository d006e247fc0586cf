import EdgeSystem
import HandlerBuild

extension Diagnostic {
    /// A diagnostic as the status document, the events and the dashboard carry it.
    var json: JSONValue {
        .object([
            ("file", JSONValue(file)),
            ("line", JSONValue(line)),
            ("column", JSONValue(column)),
            ("severity", .string(severity.rawValue)),
            ("message", .string(message)),
            ("notes", .array(notes.map(\.json))),
        ])
    }
}
