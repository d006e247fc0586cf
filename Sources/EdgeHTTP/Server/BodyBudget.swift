import Synchronization

/// The memory of every request body the server holds at once, capped: past the cap a request
/// with a large body gets 503 with `Retry-After` instead of more memory (40 uploads of 16 MiB in
/// parallel once reached 4 GB). Bodies up to `untracked` bytes are not counted, so ordinary
/// requests never touch the shared counter.
package final class BodyBudget: Sendable {
    package static let untracked = 64 * 1024
    package let capacity: Int
    private let held = Atomic<Int>(0)

    package init(capacity: Int) { self.capacity = capacity }

    package var heldBytes: Int { held.load(ordering: .relaxed) }

    /// Takes `bytes` from the budget; false (taking nothing) when that would pass the cap.
    package func reserve(_ bytes: Int) -> Bool {
        let after = held.wrappingAdd(bytes, ordering: .relaxed).newValue
        guard after > capacity else { return true }
        held.wrappingSubtract(bytes, ordering: .relaxed)
        return false
    }

    package func release(_ bytes: Int) { held.wrappingSubtract(bytes, ordering: .relaxed) }
}
