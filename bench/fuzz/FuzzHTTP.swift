// libFuzzer target for the HTTP/1.1 request parser (built by bench/fuzz-http, not by SwiftPM).
//
// Properties checked on every input, trapping (so libFuzzer records the input) when one fails:
// - the parser never crashes, hangs or grows without bound (libFuzzer's own -timeout and
//   -rss_limit_mb, with the address sanitizer);
// - the bytes at once, and split in two at a few positions chosen by the input, give the same
//   verdict and the same parsed requests;
// - every accepted request, encoded again, parses to the same request.
import EdgeSDK

struct Parsed: Equatable {
    var method: String
    var target: String
    var path: String
    var query: [String]
    var minorVersion: Int
    var headers: [String]
    var keepAlive: Bool
    var body: [UInt8]

    init(_ head: HTTPRequestHead, _ body: [UInt8]) {
        method = head.method
        target = head.target
        path = head.path
        query = head.queryItems.map { "\($0.name)=\($0.value)" }
        minorVersion = head.minorVersion
        headers = head.headers.map { "\($0.name.lowercased()): \($0.value)" }
        keepAlive = head.keepAlive
        self.body = body
    }
}

struct Outcome: Equatable {
    var requests: [Parsed] = []
    var status: Int?
}

/// Re-encoding may grow a head (an invalid UTF-8 byte in a value becomes U+FFFD, three bytes):
/// the encoded request is parsed with room for that.
let roomyLimits: HTTPLimits = {
    var roomy = limits
    roomy.maxHeadBytes = limits.maxHeadBytes * 4
    return roomy
}()

let limits: HTTPLimits = {
    var limits = HTTPLimits()
    limits.maxHeadBytes = 4096
    limits.maxBodyBytes = 64 * 1024
    return limits
}()

func parse(_ pieces: [ArraySlice<UInt8>], limits: HTTPLimits = limits) -> Outcome {
    var parser = HTTPRequestParser(limits: limits)
    var buffer: [UInt8] = []
    var start = 0
    var outcome = Outcome()
    for piece in pieces {
        buffer.append(contentsOf: piece)
        do throws(HTTPError) {
            events: while true {
                switch try parser.next(buffer, start: &start) {
                case .needMore: break events
                case .continueExpected: continue
                case .request(let head, let body): outcome.requests.append(Parsed(head, body))
                }
            }
        } catch {
            outcome.status = error.status
            return outcome
        }
    }
    return outcome
}

/// A request in the plainest framing: the same line and fields, the body by Content-Length.
func encode(_ request: Parsed) -> [UInt8] {
    var text = "\(request.method) \(request.target) HTTP/1.\(request.minorVersion)\r\n"
    for field in request.headers {
        let name = field.prefix { $0 != ":" }
        if name == "content-length" || name == "transfer-encoding" || name == "expect" { continue }
        text += field + "\r\n"
    }
    if !request.body.isEmpty { text += "content-length: \(request.body.count)\r\n" }
    return Array((text + "\r\n").utf8) + request.body
}

func withoutFraming(_ request: Parsed) -> Parsed {
    var request = request
    request.headers.removeAll {
        $0.hasPrefix("content-length:") || $0.hasPrefix("transfer-encoding:") || $0.hasPrefix("expect:")
    }
    return request
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = parse([bytes[...]])
    if size > 1 {
        var seed = UInt64(size)
        for byte in bytes.prefix(16) { seed = seed &* 31 &+ UInt64(byte) }
        for round in 0..<4 {
            let cut = 1 + Int((seed >> (UInt64(round) * 13)) % UInt64(size - 1))
            let split = parse([bytes[..<cut], bytes[cut...]])
            // fatalError, not precondition: -O keeps its message, which names the property.
            if split != whole { fatalError("split at \(cut) disagrees: \(split) vs \(whole)") }
        }
    }
    for request in whole.requests {
        let again = parse([encode(request)[...]], limits: roomyLimits)
        if again.status != nil || again.requests.map(withoutFraming) != [withoutFraming(request)] {
            fatalError("re-encoded request parses differently: \(request) -> \(again)")
        }
    }
    return 0
}
