import EdgeSystem

/// What the dashboard's pages read from the status and data documents, shown as text.
protocol StatusPage {}

extension StatusPage {
    static func text(_ value: JSONValue?) -> String { value?.stringValue ?? "" }

    /// A number as the document has it: whole numbers without a fraction, "0" when missing.
    static func number(_ value: JSONValue?) -> String {
        guard case .number(let number)? = value else { return "0" }
        return number.rounded() == number ? String(Int(number)) : String(number)
    }

    static func strings(_ value: JSONValue?) -> [String] { value?.arrayValue?.map { text($0) } ?? [] }
}
