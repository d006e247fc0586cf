/// The endpoint's configuration: `.env`, then `.env.local` over it, in the project folder, over
/// the `"env"` defaults of its `endpoint.json`. Read it as `ctx.env["KEY"]`.
///
/// It is not the host's process environment, which never leaks into handlers. Saving `.env`
/// changes what the next request sees, with no rebuild.
public struct Environment: Sendable {
    private let values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// The value of `key`, or nil when no file and no default sets it.
    public subscript(_ key: String) -> String? { values[key] }

    /// The value of `key`, or a 500 that says which key is missing and where to set it.
    public func require(_ key: String) throws -> String {
        guard let value = values[key] else {
            throw HandlerError.internal(
                "missing configuration '\(key)': set \(key)=... in .env or .env.local beside handlers/, "
                    + "or give it a default under \"env\" in the endpoint's endpoint.json")
        }
        return value
    }

    /// Every key that is set (values are not shown in logs, so list keys with care).
    public var keys: [String] { values.keys.sorted() }
}

/// Printed, dumped or interpolated, an environment shows its keys, never its values: a
/// `print(ctx)` left in a handler must not put a secret in the terminal.
extension Environment: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "Environment(keys: \(keys))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["keys": keys], displayStyle: .struct) }
}
