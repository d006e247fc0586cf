import EdgeSDK
import EdgeSystem

extension JournalEntry {
    /// Header values shown as `••••` in every view (kept whole for replay).
    static let maskedHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

    /// The line in `/_edge/requests` and the `request` event.
    public var summaryJSON: JSONValue {
        .object([
            ("id", JSONValue(id)), ("requestID", .string(requestID)), ("time", .string(ISOTime.format(time))),
            ("method", .string(method)), ("target", .string(target)), ("status", JSONValue(status)),
            ("endpoint", .string(endpoint)), ("version", JSONValue(version)),
            ("durationMs", JSONValue((durationMilliseconds * 100).rounded() / 100)),
            ("failure", JSONValue(failure)),
        ])
    }

    /// `/_edge/requests/<id>`: the summary with headers and bodies.
    public var detailJSON: JSONValue {
        guard case .object(var members) = summaryJSON else { return summaryJSON }
        members += [
            ("headers", Self.json(headers)), ("body", Self.body(body, size: bodySize)),
            ("responseHeaders", Self.json(responseHeaders)),
            ("responseBody", Self.body(responseBody, size: responseBodySize)),
        ]
        return .object(members)
    }

    static func json(_ fields: [HTTPHeaders.Field]) -> JSONValue {
        .array(
            fields.map { field in
                .object([
                    ("name", .string(field.name)),
                    ("value", .string(maskedHeaders.contains(field.name.lowercased()) ? "••••" : field.value)),
                ])
            })
    }

    /// `{"text": ...}` when the bytes are UTF-8, else `{"base64": ...}`; with the size received
    /// and whether the journal kept only part.
    static func body(_ bytes: [UInt8], size: Int) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let text = String(validating: bytes, as: UTF8.self) {
            members.append(("text", .string(text)))
        } else {
            members.append(("base64", .string(Base64.encode(bytes))))
        }
        members += [("size", JSONValue(size)), ("truncated", .bool(bytes.count < size))]
        return .object(members)
    }
}
