/// Appending text to a byte buffer without building strings: the response head and the access
/// log are written this way for every request.
extension [UInt8] {
    /// Appends the bytes of a literal, touching no reference count (a static array, or a
    /// literal's `utf8` view, costs a retain and a release each: fifteen per response, counted
    /// with uprobes).
    @inline(__always)
    mutating func append(literal: StaticString) {
        literal.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends `value` (not negative) in decimal.
    mutating func append(decimal value: Int) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
