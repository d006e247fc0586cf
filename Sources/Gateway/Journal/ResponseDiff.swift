import EdgeSDK
import EdgeSystem

/// What changed between two answers to the same request: the status, each header that differs,
/// and the body: by JSON path when both are JSON, else by line.
enum ResponseDiff {
    /// Headers that differ on every answer, so never news.
    static let ignoredHeaders: Set<String> = ["date", "x-request-id", "content-length", "server-timing"]

    static func json(
        status: (Int, Int), headers: ([HTTPHeaders.Field], [HTTPHeaders.Field]), body: ([UInt8], [UInt8])
    ) -> JSONValue {
        var headerChanges: [JSONValue] = []
        let names = Set((headers.0 + headers.1).map { $0.name.lowercased() }).subtracting(ignoredHeaders).sorted()
        for name in names {
            let before = headers.0.first { $0.name.lowercased() == name }?.value
            let after = headers.1.first { $0.name.lowercased() == name }?.value
            if before != after {
                let masked = JournalEntry.maskedHeaders.contains(name)
                headerChanges.append(
                    .object([
                        ("name", .string(name)),
                        ("original", masked ? JSONValue(before.map { _ in "••••" }) : JSONValue(before)),
                        ("replayed", masked ? JSONValue(after.map { _ in "••••" }) : JSONValue(after)),
                    ]))
            }
        }
        return .object([
            ("same", .bool(status.0 == status.1 && headerChanges.isEmpty && body.0 == body.1)),
            (
                "status",
                status.0 == status.1
                    ? .null : .object([("original", JSONValue(status.0)), ("replayed", JSONValue(status.1))])
            ),
            ("headers", .array(headerChanges)),
            ("body", bodyDiff(body.0, body.1)),
        ])
    }

    static func bodyDiff(_ a: [UInt8], _ b: [UInt8]) -> JSONValue {
        if a == b { return .null }
        if let left = try? JSONValue.parse(String(decoding: a, as: UTF8.self)),
            let right = try? JSONValue.parse(String(decoding: b, as: UTF8.self))
        {
            var changes: [JSONValue] = []
            paths(left, right, at: "$", into: &changes)
            return .object([("kind", "json"), ("changes", .array(Array(changes.prefix(100))))])
        }
        guard let left = String(validating: a, as: UTF8.self), let right = String(validating: b, as: UTF8.self) else {
            return .object([("kind", "bytes"), ("original", JSONValue(a.count)), ("replayed", JSONValue(b.count))])
        }
        return .object([("kind", "text"), ("lines", .array(lines(left, right).map { .string($0) }))])
    }

    /// Every JSON path whose value differs (`$.todos[1].title`), with both values.
    static func paths(_ a: JSONValue, _ b: JSONValue, at path: String, into changes: inout [JSONValue]) {
        switch (a, b) {
        case (.object(let left), .object(let right)):
            let keys = (left.map(\.0) + right.map(\.0).filter { key in !left.contains { $0.0 == key } })
            for key in keys {
                let l = left.first { $0.0 == key }?.1
                let r = right.first { $0.0 == key }?.1
                if let l, let r {
                    paths(l, r, at: "\(path).\(key)", into: &changes)
                } else if l != r {
                    changes.append(
                        .object([
                            ("path", .string("\(path).\(key)")), ("original", l ?? .null), ("replayed", r ?? .null),
                        ]))
                }
            }
        case (.array(let left), .array(let right)) where left.count == right.count:
            for (index, pair) in zip(left, right).enumerated() {
                paths(pair.0, pair.1, at: "\(path)[\(index)]", into: &changes)
            }
        default:
            if a != b { changes.append(.object([("path", .string(path)), ("original", a), ("replayed", b)])) }
        }
    }

    /// A line diff (`- old`, `+ new`, `  same`) by longest common subsequence; bodies of more
    /// than 400 lines are compared only as a whole.
    static func lines(_ a: String, _ b: String) -> [String] {
        let left = a.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let right = b.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard left.count <= 400, right.count <= 400 else {
            return ["- (\(left.count) lines)", "+ (\(right.count) lines)"]
        }
        var table = [[Int]](repeating: [Int](repeating: 0, count: right.count + 1), count: left.count + 1)
        for i in stride(from: left.count - 1, through: 0, by: -1) {
            for j in stride(from: right.count - 1, through: 0, by: -1) {
                table[i][j] = left[i] == right[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0
        var j = 0
        while i < left.count || j < right.count {
            if i < left.count, j < right.count, left[i] == right[j] {
                out.append("  " + left[i])
                i += 1
                j += 1
            } else if i < left.count, j == right.count || table[i + 1][j] >= table[i][j + 1] {
                out.append("- " + left[i])
                i += 1
            } else {
                out.append("+ " + right[j])
                j += 1
            }
        }
        return out
    }
}
