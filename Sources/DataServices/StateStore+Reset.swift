import EdgeSDK

extension StateStore {
    /// `edge-dev state reset ENDPOINT [KEY]` and the dashboard's reset: removes `key` (or every
    /// key) of endpoint `endpoint`'s store; what was removed, in words, or why nothing was.
    public func reset(of endpoint: String, key: String?) -> Result<String, HandlerError> {
        if let key {
            guard keys.contains(key) else {
                return .failure(
                    .notFound("no key '\(key)' in \(endpoint)'s ctx.state (keys: \(keys.joined(separator: ", ")))"))
            }
            remove(key)
            return .success("removed \(endpoint)'s ctx.state key \(key)")
        }
        let count = keys.count
        removeAll()
        return .success("removed \(count) ctx.state key\(count == 1 ? "" : "s") of \(endpoint)")
    }
}
