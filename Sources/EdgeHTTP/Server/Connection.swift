import EdgeSDK
import EdgeSystem

/// One client connection: its receive and send buffers, the parser, and the request in flight.
///
/// Confined to its loop's thread. Requests on one connection are handled one at a time, so
/// pipelined requests are answered in order.
final class Connection: @unchecked Sendable {
    let socket: Socket
    /// `unowned(unsafe)`: touched on every event, and a connection never outlives the loop whose
    /// thread (holding the loop) is the only one that uses it.
    unowned(unsafe) let loop: EventLoop
    private var parser: HTTPRequestParser
    private var inbox: [UInt8] = []
    private var inboxStart = 0
    private var outbox: [UInt8] = []
    private var outboxStart = 0

    private(set) var inFlight = false
    private(set) var isClosed = false
    private var peerClosed = false
    private var closeAfterWrite = false
    private var lingering = false
    private var readPaused = false
    private var lastActivity: UInt64
    private var requestStarted: UInt64 = 0
    /// Body bytes of the request being read or answered, held against the server's budget.
    private var bodyReservation = 0
    /// Set while the connection carries a streaming response: requests are no longer read.
    private var stream: StreamWriter?
    /// The request being answered by a task, and what its answer needs.
    private var pending: Pending?
    private struct Pending {
        let request: InFlightRequest
        let head: Answering
        let requestID: String
        let tag: String?
        let started: UInt64
    }
    private lazy var peer = socket.peer

    init(socket: Socket, loop: EventLoop) {
        self.socket = socket
        self.loop = loop
        self.parser = HTTPRequestParser(limits: loop.configuration.limits)
        self.lastActivity = MonotonicClock.nanoseconds()
    }

    // MARK: - Events

    /// Reads and parses in turns of at most `readTurn` bytes, so a large body moves from the
    /// socket into the request's own buffer as it arrives instead of piling up in the inbox
    /// first (a 16 MiB upload then costs about 16 MiB, not three times that).
    func onReadable() {
        while !isClosed {
            let more = readAvailable(upTo: Self.readTurn)
            if lingering || stream != nil {
                // Read (and drop) until the socket is drained: edge-triggered epoll says nothing
                // more about bytes already there, and closing over unread input sends a reset.
                inbox.removeAll(keepingCapacity: true)
                inboxStart = 0
                if peerClosed { close() }
                if more { continue }
                return
            }
            processRequests()
            if !more { return }
        }
    }

    static let readTurn = 256 * 1024

    func onWritable() {
        guard !isClosed, outboxStart < outbox.count else { return }
        flush()
        if !isClosed && !inFlight && readPaused { onReadable() }
    }

    /// Reads what the socket has, up to `limit` bytes; true when it may have more (a full read
    /// ended the turn), false once it would block, closed, or reading is paused.
    private func readAvailable(upTo limit: Int) -> Bool {
        // Behind a request in flight, pipelined bytes wait in the socket (two turns here at most),
        // not in memory the body budget does not see.
        let cap =
            inFlight
            ? 2 * Self.readTurn
            : loop.configuration.limits.maxHeadBytes + loop.configuration.limits.maxBodyBytes + 64 * 1024
        readPaused = false
        var read = 0
        while read < limit {
            if inbox.count - inboxStart > cap {
                readPaused = true
                return false
            }
            let count: Int?
            do {
                count = try socket.read(into: loop.scratch)
            } catch {
                peerClosed = true
                return false
            }
            guard let count else { return false }
            if count == 0 {
                peerClosed = true
                return false
            }
            lastActivity = MonotonicClock.nanoseconds()
            inbox.append(contentsOf: UnsafeRawBufferPointer(rebasing: loop.scratch[0..<count]))
            read += count
            // A short read drained the socket; edge-triggered epoll reports the next arrival.
            if count < loop.scratch.count { return false }
        }
        return true
    }

    private func processRequests() {
        while !inFlight && !isClosed && !closeAfterWrite && stream == nil {
            if inboxStart == inbox.count && parser.isIdle { break }
            if requestStarted == 0 { requestStarted = MonotonicClock.nanoseconds() }
            let event: HTTPRequestParser.Event
            do {
                event = try parser.next(inbox, start: &inboxStart)
            } catch {
                refuse(error)
                break
            }
            // Consumed: the request's head and body move into the request, not copied.
            switch consume event {
            case .needMore:
                guard reserveBody() else { return }
                compactInbox()
                finishIfPeerGone()
                return
            case .continueExpected:
                guard reserveBody() else { return }
                outbox.append(contentsOf: Self.continueResponse)
                flush()
            case .request(let head, let body):
                requestStarted = 0
                // A body that arrived whole within one read turn is charged here.
                guard reserveBody(body.count) else { return }
                dispatch(head, body: body)
            }
        }
        compactInbox()
        finishIfPeerGone()
    }

    private func finishIfPeerGone() {
        guard peerClosed, !inFlight, !isClosed else { return }
        if outboxStart == outbox.count { close() } else { closeAfterWrite = true }
    }

    private func compactInbox() {
        if inboxStart == inbox.count {
            inbox.removeAll(keepingCapacity: inbox.capacity <= 512 * 1024)
            inboxStart = 0
        } else if inboxStart > 64 * 1024 {
            inbox.removeFirst(inboxStart)
            inboxStart = 0
        }
    }

    // MARK: - Requests

    private func dispatch(_ request: consuming HTTPRequestHead, body: consuming [UInt8]) {
        inFlight = true
        let started = MonotonicClock.nanoseconds()
        let requestID = loop.nextRequestID()
        let head = Answering(request)
        let incoming = IncomingRequest(
            request: Request(
                method: head.method == "HEAD" ? "GET" : head.method, path: request.path,
                queryItems: request.queryItems, headers: request.headers, body: body, requestID: requestID,
                clientAddress: peer.address),
            wireMethod: head.method, isLoopback: peer.isLoopback, target: head.target)
        switch loop.responder.reply(to: incoming) {
        case .now(let response, let tag):
            complete(response, head: head, requestID: requestID, tag: tag, started: started)
        case .stream(let response, let tag, let start):
            inFlight = false
            let writer = StreamWriter(loop: loop, connection: self)
            stream = writer
            send(
                response, head: head, keepAlive: false, requestID: requestID, started: started,
                tag: (tag.map { $0 + " " } ?? "") + "stream", streaming: true)
            if head.method == "HEAD" {
                streamEnd()
            } else if !isClosed {
                start(writer)
            }
        case .later(let deferred):
            let request = InFlightRequest(loop: loop, connection: self, deferred: deferred, started: started)
            pending = Pending(request: request, head: head, requestID: requestID, tag: deferred.tag, started: started)
            let work = deferred.work
            if loop.configuration.crashBarrier {
                Task(executorPreference: request) { request.deliver(await work()) }
            } else {
                // Unguarded, to measure what the barrier costs: the task runs on the loop itself.
                Task(executorPreference: loop) { request.deliver(await work()) }
            }
        }
    }

    /// The answer to the request in flight: its handler's response, or the failure answer when it
    /// trapped or timed out. Whichever comes first is sent; later ones are ignored.
    func answer(_ request: InFlightRequest, with outcome: InFlightRequest.Outcome) {
        guard self.pending?.request === request, let pending = self.pending.take() else { return }
        request.connection = nil
        var tag = pending.tag
        let response: Response
        var failed: HandlerFailure?
        switch outcome {
        case .response(let answer):
            response = answer
        case .failure(let failure):
            response = request.failure(failure)
            failed = failure
            switch failure {
            case .crashed: tag = (tag ?? "") + " crashed"
            case .timedOut: tag = (tag ?? "") + " timed out"
            }
        }
        request.finished?(response, failed, pending.started)
        complete(response, head: pending.head, requestID: pending.requestID, tag: tag, started: pending.started)
        processRequests()
        // Reading stopped while the inbox was full; the socket may hold more, and no new edge
        // will say so.
        if readPaused && !inFlight && !isClosed { onReadable() }
    }

    private func complete(_ response: Response, head: Answering, requestID: String, tag: String?, started: UInt64) {
        releaseBody()
        inFlight = false
        guard !isClosed else { return }
        let keepAlive = head.keepAlive && !peerClosed && !loop.isStopping
        if !keepAlive { closeAfterWrite = true }
        send(response, head: head, keepAlive: keepAlive, requestID: requestID, started: started, tag: tag)
    }

    /// Encodes `response` for `head` (nil: a request the parser refused), logs it, and sends it.
    private func send(
        _ response: Response, head: Answering?, keepAlive: Bool, requestID: String?, started: UInt64,
        tag: String?, streaming: Bool = false
    ) {
        loop.encoder.encode(
            response, minorVersion: head?.minorVersion ?? 1, keepAlive: keepAlive,
            includeBody: head?.method != "HEAD", requestID: requestID, streaming: streaming, into: &outbox)
        if loop.configuration.accessLog {
            loop.logAccess(
                method: head?.method ?? "-", target: head?.target ?? "-", status: response.status, started: started,
                requestID: requestID, tag: tag)
        }
        flush()
    }

    /// Answers a request the parser refused, then closes: after a framing error the rest of the
    /// stream cannot be trusted.
    private func refuse(_ error: HTTPError) {
        let body = JSONValue.object([
            ("error", .string(AccessLog.code(error.status))), ("message", .string(error.message)),
            ("status", JSONValue(error.status)),
        ])
        var response = Response(
            status: error.status, headers: ["Content-Type": "application/json"], body: Array(body.serialized.utf8))
        if error.status == 503 { response.headers.set("Retry-After", "1") }
        releaseBody()
        closeAfterWrite = true
        send(response, head: nil, keepAlive: false, requestID: nil, started: requestStarted, tag: error.message)
    }

    // MARK: - Body budget

    /// Takes what the request being read will hold from the server's body budget; refuses it
    /// (503, `Retry-After`) when the budget is spent. Small bodies are not counted.
    private func reserveBody(_ wanted: Int? = nil) -> Bool {
        let wanted = wanted ?? parser.bodyBytesExpected
        guard wanted > BodyBudget.untracked, wanted > bodyReservation else { return true }
        guard loop.bodyBudget.reserve(wanted - bodyReservation) else {
            refuse(
                HTTPError(
                    503,
                    "request bodies buffered at once would exceed \(loop.bodyBudget.capacity) bytes; retry shortly"))
            return false
        }
        bodyReservation = wanted
        return true
    }

    private func releaseBody() {
        guard bodyReservation > 0 else { return }
        loop.bodyBudget.release(bodyReservation)
        bodyReservation = 0
    }

    // MARK: - Streaming

    /// More of a streaming response. A client that stops reading is cut off rather than
    /// buffered for without limit.
    func streamWrite(_ bytes: [UInt8]) {
        guard stream != nil, !isClosed, !closeAfterWrite else { return }
        if outbox.count - outboxStart > 4 * 1024 * 1024 {
            close()
            return
        }
        outbox.append(contentsOf: bytes)
        flush()
    }

    func streamEnd() {
        guard stream != nil, !isClosed else { return }
        closeAfterWrite = true
        flush()
    }

    // MARK: - Writing and closing

    private func flush() {
        while outboxStart < outbox.count {
            let written: Int?
            do {
                written = try outbox.withUnsafeBytes { raw throws(SystemError) in
                    try socket.write(UnsafeRawBufferPointer(rebasing: raw[outboxStart...]))
                }
            } catch {
                close()
                return
            }
            guard let written else { return }  // EPOLLOUT (edge-triggered) will call onWritable
            outboxStart += written
        }
        outbox.removeAll(keepingCapacity: outbox.capacity <= 256 * 1024)
        outboxStart = 0
        lastActivity = MonotonicClock.nanoseconds()
        if closeAfterWrite { beginClose() }
    }

    /// Half-closes and lingers briefly before closing: closing with unread input would make the
    /// kernel send a reset that can destroy the response before the client reads it.
    private func beginClose() {
        guard !lingering else { return }
        if peerClosed {
            close()
            return
        }
        lingering = true
        lastActivity = MonotonicClock.nanoseconds()
        socket.shutdownWrite()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        releaseBody()
        socket.close()
        loop.connectionClosed(self)
        // The writer holds this connection: break the cycle.
        let writer = stream
        stream = nil
        writer?.markClosed()
    }

    func checkTimeouts(now: UInt64) {
        if let pending, pending.request.deadline != 0, now > pending.request.deadline {
            pending.request.fail(.timedOut(pending.request.timeout ?? .zero))
            return
        }
        guard !isClosed, !inFlight else { return }
        if lingering {
            if now &- lastActivity > 2_000_000_000 { close() }
            return
        }
        if stream != nil {
            if outboxStart < outbox.count && now &- lastActivity > 60_000_000_000 {
                close()  // the client stopped reading a minute ago
            } else if !closeAfterWrite && now &- lastActivity > 15_000_000_000 {
                // A comment line now and then: it finds clients that vanished without a FIN.
                streamWrite(Array(": ping\n\n".utf8))
            }
            return
        }
        let limits = loop.configuration.limits
        if requestStarted != 0 {
            let waited = now &- (parser.isIdle ? requestStarted : lastActivity)
            if now &- requestStarted > limits.headerTimeout.nanoseconds && parser.isIdle
                || waited > limits.headerTimeout.nanoseconds
            {
                refuse(HTTPError(408, "request not received within \(limits.headerTimeout)"))
            }
        } else if outboxStart == outbox.count && now &- lastActivity > limits.idleTimeout.nanoseconds {
            close()
        }
    }

    private static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
