import EdgeSDK

/// Input checks shared by the `signup` and `contact` samples: one place for the rules, and
/// `import Validation` in each endpoint. Save this file and both endpoints rebuild against it.
public enum Validate {
    /// `value` without surrounding spaces; a 400 naming `field` when it is missing, empty or too long.
    public static func text(_ value: String?, field: String, maxLength: Int = 200) throws -> String {
        let trimmed = (value ?? "").trimmingSpaces()
        guard !trimmed.isEmpty else { throw HandlerError.validation("field '\(field)' is required") }
        guard trimmed.count <= maxLength else {
            throw HandlerError.validation("field '\(field)' is longer than \(maxLength) characters")
        }
        return trimmed
    }

    /// An address with one `@` and a dot after it: enough to catch typos, not a full RFC 5322 parser.
    public static func email(_ value: String?, field: String = "email") throws -> String {
        let address = try text(value, field: field, maxLength: 254)
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix(".")
        else { throw HandlerError.validation("field '\(field)' is not an email address") }
        return address
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first?.isWhitespace == true { scalars.removeFirst() }
        while scalars.last?.isWhitespace == true { scalars.removeLast() }
        return String(scalars)
    }
}
