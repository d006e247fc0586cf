/// An ordered list of HTTP header fields.
///
/// Names compare case-insensitively (RFC 9110 §5.1) and repeated fields are kept in the order they
/// arrived, because some (`Set-Cookie`, `Via`) must not be folded into one value.
public struct HTTPHeaders: Sendable, Equatable {
    /// One field as it appeared on the wire.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    public init(_ pairs: [(String, String)]) {
        self.fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// The first value of the field called `name`, or nil.
    public subscript(name: String) -> String? {
        first(name)
    }

    /// The first value of the field called `name`, or nil.
    public func first(_ name: String) -> String? {
        fields.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    /// Every value of the field called `name`, in arrival order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool {
        fields.contains { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// Appends a field, keeping any that already have this name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field called `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append(Field(name: name, value: value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
}

extension HTTPHeaders: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}

extension HTTPHeaders: Sequence {
    public func makeIterator() -> IndexingIterator<[Field]> {
        fields.makeIterator()
    }
}

extension String {
    /// ASCII case-insensitive comparison: header names and methods are ASCII tokens, and this
    /// avoids the Unicode machinery of `lowercased()` on the request path.
    @usableFromInline
    func equalsIgnoringASCIICase(_ other: String) -> Bool {
        // Most names differ in length: told apart without reading a byte.
        guard utf8.count == other.utf8.count else { return false }
        var lhs = self.utf8.makeIterator()
        var rhs = other.utf8.makeIterator()
        while true {
            switch (lhs.next(), rhs.next()) {
            case (nil, nil):
                return true
            case (let a?, let b?):
                if a == b { continue }
                if a | 0x20 != b | 0x20 { return false }
                let lower = a | 0x20
                if lower < UInt8(ascii: "a") || lower > UInt8(ascii: "z") { return false }
            default:
                return false
            }
        }
    }
}
