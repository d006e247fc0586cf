extension Duration {
    /// Whole nanoseconds, for the monotonic clock; a negative duration counts as zero (a deadline
    /// already passed), never a trap.
    package var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
