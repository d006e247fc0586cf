/// A route's path pattern: literal segments, `{name}` parameters, and a final `{rest...}` that
/// captures the remainder (zero or more segments).
public struct RoutePattern: Hashable, Sendable, CustomStringConvertible {
    public enum Segment: Hashable, Sendable {
        case literal(String)
        case parameter(String)
        case rest(String)

        /// Lower ranks are more specific and win: literal, then parameter, then rest.
        var rank: Int {
            switch self {
            case .literal: 0
            case .parameter: 1
            case .rest: 2
            }
        }
    }

    public let segments: [Segment]
    public let description: String

    public struct SyntaxError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(_ text: String) throws(SyntaxError) {
        guard text.hasPrefix("/") else { throw SyntaxError(message: "path '\(text)' must start with '/'") }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == " " }) else {
            throw SyntaxError(
                message:
                    "path '\(text.debugDescription.dropFirst().dropLast())' contains a space or a control character")
        }
        var segments: [Segment] = []
        var names: Set<String> = []
        let parts = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            if part.isEmpty {
                if index == parts.count - 1 && index == 0 { break }  // "/" itself
                throw SyntaxError(message: "path '\(text)' has an empty segment")
            }
            if part.hasPrefix("{") {
                guard part.hasSuffix("}"), part.count > 2 else {
                    throw SyntaxError(message: "path '\(text)': '\(part)' must be '{name}' or '{name...}'")
                }
                var name = String(part.dropFirst().dropLast())
                let isRest = name.hasSuffix("...")
                if isRest { name = String(name.dropLast(3)) }
                guard Self.isIdentifier(name) else {
                    throw SyntaxError(message: "path '\(text)': '\(name)' is not a valid parameter name")
                }
                guard names.insert(name).inserted else {
                    throw SyntaxError(message: "path '\(text)': parameter '\(name)' appears twice")
                }
                if isRest {
                    guard index == parts.count - 1 else {
                        throw SyntaxError(message: "path '\(text)': '{\(name)...}' must be the last segment")
                    }
                    segments.append(.rest(name))
                } else {
                    segments.append(.parameter(name))
                }
            } else {
                guard !part.contains("{") && !part.contains("}") else {
                    throw SyntaxError(message: "path '\(text)': '\(part)' mixes text and a parameter")
                }
                segments.append(.literal(String(part)))
            }
        }
        self.segments = segments
        self.description = text
    }

    /// The same pattern with parameter names ignored: two routes with equal shapes are ambiguous.
    var shape: [String] {
        segments.map {
            switch $0 {
            case .literal(let text): "=" + text
            case .parameter: "{}"
            case .rest: "{...}"
            }
        }
    }

    /// Splits a percent-decoded path into segments. One trailing slash is tolerated, so
    /// `/todos/` matches `/todos`.
    /// The path this pattern matches when it has only literal segments (`/a/b`, `/`); nil when
    /// it has parameters.
    var literalPath: String? {
        var parts: [String] = []
        for segment in segments {
            guard case .literal(let text) = segment else { return nil }
            parts.append(text)
        }
        return "/" + parts.joined(separator: "/")
    }

    static func segments(of path: String) -> ArraySlice<Substring> {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if parts.last?.isEmpty == true { parts = parts.dropLast() }
        return parts
    }

    /// Matches `path` (already percent-decoded), returning the parameters, or nil.
    public func match(_ path: String) -> [String: String]? {
        match(segments: Self.segments(of: path))
    }

    func match(segments parts: ArraySlice<Substring>) -> [String: String]? {
        var parameters: [String: String] = [:]
        var index = parts.startIndex
        for segment in segments {
            if case .rest(let name) = segment {
                parameters[name] = parts[index...].joined(separator: "/")
                return parameters
            }
            guard index < parts.endIndex else { return nil }
            let part = parts[index]
            switch segment {
            case .literal(let text):
                guard part == text else { return nil }
            case .parameter(let name):
                guard !part.isEmpty else { return nil }
                parameters[name] = String(part)
            case .rest:
                break
            }
            index += 1
        }
        return index == parts.endIndex ? parameters : nil
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
        }
    }

    /// True when `self` should be tried before `other`: segment by segment, literals before
    /// parameters before rest; a shorter pattern before a longer one it prefixes.
    func isMoreSpecific(than other: RoutePattern) -> Bool {
        for (a, b) in zip(segments, other.segments) where a.rank != b.rank {
            return a.rank < b.rank
        }
        return segments.count < other.segments.count
    }
}
