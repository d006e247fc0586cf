/// Limits on what a client may send, and how slowly.
public struct HTTPLimits: Sendable {
    /// Request line and header fields together: past this, 414 (request line) or 431 (headers).
    public var maxHeadBytes = 64 * 1024
    public var maxHeaderCount = 100
    /// Past this, 413.
    public var maxBodyBytes = 16 * 1024 * 1024
    /// All request bodies buffered at once, over every connection (503 beyond).
    public var maxBufferedBodyBytes = 256 * 1024 * 1024
    /// A request's head must arrive whole within this: 408 and close (slow senders).
    public var headerTimeout: Duration = .seconds(10)
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration = .seconds(60)

    public init() {}
}

/// A request the server refuses before any handler sees it: the status to answer, then close.
public struct HTTPError: Error, Equatable, Sendable {
    public let status: Int
    public let message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}
