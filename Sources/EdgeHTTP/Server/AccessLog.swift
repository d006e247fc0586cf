import EdgeSystem
import Glibc

/// One line per request, for the terminal: `GET /hello 200 0.31 ms hello v1`.
enum AccessLog {
    /// Appends the line to `out` (the loop's log buffer) without building it as a string first.
    static func append(
        method: String, target: String, status: Int, started: UInt64, tag: String?, to out: inout [UInt8]
    ) {
        let micros = (MonotonicClock.nanoseconds() &- started) / 1000
        out.append(contentsOf: method.utf8)
        out.append(0x20)
        out.append(contentsOf: target.utf8)
        out.append(0x20)
        out.append(decimal: status)
        out.append(0x20)
        out.append(decimal: Int(micros / 1000))
        if micros < 10_000 {
            out.append(UInt8(ascii: "."))
            out.append(UInt8(ascii: "0") + UInt8(micros % 1000 / 100))
            out.append(UInt8(ascii: "0") + UInt8(micros % 100 / 10))
        }
        out.append(literal: " ms")
        if let tag {
            out.append(0x20)
            out.append(contentsOf: tag.utf8)
        }
        out.append(0x0A)
    }

    /// The same as one JSON object per line, for log collectors: `{"time":"2026-12-01T16:00:00Z",
    /// "method":"GET","target":"/hello","status":200,"ms":0.31,"requestID":"0-1a","tag":"hello v1"}`.
    static func appendJSON(
        method: String, target: String, status: Int, started: UInt64, requestID: String?, tag: String?,
        to out: inout [UInt8]
    ) {
        // Written field by field into the loop's buffer, as the text line is: no object built.
        let micros = (MonotonicClock.nanoseconds() &- started) / 1000
        out.append(literal: #"{"time":""#)
        out.append(contentsOf: ISOTime.format(Int(time(nil))).utf8)
        out.append(literal: #"","method":"#)
        out.append(contentsOf: JSONValue.quoted(method).utf8)
        out.append(literal: #","target":"#)
        out.append(contentsOf: JSONValue.quoted(target).utf8)
        out.append(literal: #","status":"#)
        out.append(decimal: status)
        out.append(literal: #","ms":"#)
        out.append(contentsOf: JSONValue(Double(micros) / 1000).serialized.utf8)
        if let requestID {
            out.append(literal: #","requestID":"#)
            out.append(contentsOf: JSONValue.quoted(requestID).utf8)
        }
        if let tag {
            out.append(literal: #","tag":"#)
            out.append(contentsOf: JSONValue.quoted(tag).utf8)
        }
        out.append(literal: "}\n")
    }

    static func code(_ status: Int) -> String {
        HTTPStatus.reason(status).lowercased().replacingSpaces()
    }
}

/// A loop's access lines waiting for their `write(2)` (one per loop iteration).
struct AccessLogBuffer {
    let format: AccessLogFormat
    private var bytes: [UInt8] = []

    init(format: AccessLogFormat) { self.format = format }

    var count: Int { bytes.count }

    mutating func append(method: String, target: String, status: Int, started: UInt64, requestID: String?, tag: String?)
    {
        switch format {
        case .text:
            AccessLog.append(method: method, target: target, status: status, started: started, tag: tag, to: &bytes)
        case .json:
            AccessLog.appendJSON(
                method: method, target: target, status: status, started: started, requestID: requestID, tag: tag,
                to: &bytes)
        }
    }

    /// Writes what is buffered to `fd` with the host log's `write(2)` (never stdio).
    mutating func write(to fd: Int32) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { HostLog.write($0, to: fd) }
        bytes.removeAll(keepingCapacity: true)
    }
}

extension String {
    func replacingSpaces() -> String { String(map { $0 == " " ? "_" : $0 }) }

}
