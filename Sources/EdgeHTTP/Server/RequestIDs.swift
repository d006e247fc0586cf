/// A loop's request ids: `<loop>-<counter in hex>` (`0-1a`), unique in the process.
struct RequestIDs {
    let loop: Int
    private var counter: UInt64 = 0

    init(loop: Int) { self.loop = loop }

    /// Formatted by hand: it runs for every request, and an id of up to 15 bytes is a small
    /// string, kept inline without an allocation (interpolation builds it through a heap buffer
    /// first).
    mutating func next() -> String {
        counter &+= 1
        let counter = counter
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            var count = 0
            func digits(_ value: UInt64, radix: UInt64) {
                let first = count
                var rest = value
                repeat {
                    let digit = UInt8(rest % radix)
                    buffer[count] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                    count += 1
                    rest /= radix
                } while rest > 0
                buffer[first..<count].reverse()
            }
            digits(UInt64(loop), radix: 10)
            buffer[count] = UInt8(ascii: "-")
            count += 1
            digits(counter, radix: 16)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<count]), as: UTF8.self)
        }
    }
}
