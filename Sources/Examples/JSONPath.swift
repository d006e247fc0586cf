import EdgeSystem

/// The JSONPath subset examples use: `$`, `.name`, `['name']`, `[n]` (a negative n counts
/// from the end).
public struct JSONPath: Sendable, Equatable {
    enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)
    }
    let steps: [Step]

    public init(_ text: String, line: Int, file: String) throws(HurlFile.SyntaxError) {
        func fail(_ why: String) -> HurlFile.SyntaxError {
            HurlFile.SyntaxError(
                file: file, line: line, message: "jsonpath \"\(text)\": \(why) (supported: $, .name, ['name'], [n])")
        }
        var rest = Substring(text)
        guard rest.hasPrefix("$") else { throw fail("it must start with $") }
        rest = rest.dropFirst()
        var steps: [Step] = []
        while let first = rest.first {
            if first == "." {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty, name != "*" else { throw fail("'.' needs a name") }
                steps.append(.key(String(name)))
                rest = rest.dropFirst(name.count)
            } else if first == "[" {
                guard let close = rest.firstIndex(of: "]") else { throw fail("an unclosed [") }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                if let number = Int(inside) {
                    steps.append(.index(number))
                } else if inside.count >= 2, inside.first == "'", inside.last == "'" {
                    steps.append(.key(String(inside.dropFirst().dropLast())))
                } else {
                    throw fail("[\(inside)] is not an index or a quoted name")
                }
                rest = rest[rest.index(after: close)...]
            } else {
                throw fail("unexpected '\(first)'")
            }
        }
        self.steps = steps
    }

    /// The value at this path, or nil when it is not there.
    public func value(in document: JSONValue) -> JSONValue? {
        var current = document
        for step in steps {
            switch step {
            case .key(let name):
                guard let next = current[name] else { return nil }
                current = next
            case .index(let index):
                guard case .array(let items) = current else { return nil }
                let position = index < 0 ? items.count + index : index
                guard items.indices.contains(position) else { return nil }
                current = items[position]
            }
        }
        return current
    }
}
