import EdgeSystem
import Glibc
import Synchronization

/// One JSON-RPC connection over a pair of file descriptors (the build server's standard input
/// and output): messages read on the calling thread, written whole from any thread.
public final class MessageChannel: Sendable {
    private let input: Int32
    private let output: Int32
    /// Held while one message is written, so messages from the reader and the watcher never
    /// interleave on the wire.
    private let writeLock = Mutex(())

    public init(input: Int32 = 0, output: Int32 = 1) {
        self.input = input
        self.output = output
    }

    /// Reads messages and hands each to `receive` until it returns false, the input closes, or
    /// the input is not JSON-RPC. Returns why it stopped: nil, else the framing error.
    public func readMessages(_ receive: (JSONValue) -> Bool) -> MessageFramer.FramingError? {
        var framer = MessageFramer()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            do {
                while let message = try framer.next() {
                    guard receive(message) else { return nil }
                }
            } catch {
                return error
            }
            let count = chunk.withUnsafeMutableBytes { raw in
                (try? blockingRead(input, into: raw)) ?? 0
            }
            guard count > 0 else { return nil }
            framer.append(chunk[..<count])
        }
    }

    public func send(_ message: JSONValue) {
        let bytes = MessageFramer.frame(message)
        writeLock.withLock { _ in
            bytes.withUnsafeBytes { HostLog.write($0, to: output) }
        }
    }

    /// The answer to request `id`.
    public func reply(to id: JSONValue, _ result: JSONValue) {
        send(.object([("jsonrpc", "2.0"), ("id", id), ("result", result)]))
    }

    /// An error answer to request `id` (JSON-RPC codes: -32601 method not found, -32602 invalid
    /// params, -32603 internal error).
    public func reply(to id: JSONValue, error code: Int, _ message: String) {
        send(
            .object([
                ("jsonrpc", "2.0"), ("id", id),
                ("error", .object([("code", JSONValue(code)), ("message", .string(message))])),
            ]))
    }

    public func notify(_ method: String, _ params: JSONValue) {
        send(.object([("jsonrpc", "2.0"), ("method", .string(method)), ("params", params)]))
    }
}
