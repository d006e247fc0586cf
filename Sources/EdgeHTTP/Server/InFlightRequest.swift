import EdgeSDK
import EdgeSystem
import Synchronization

/// A request whose answer a task is computing, and that task's executor.
///
/// Being the task's executor preference (child tasks inherit it) means every job of the request
/// passes through `enqueue` here, so the loop always knows whose code it is running: that is how
/// the crash barrier pins a trap to one request, and how the abandoned jobs of a crashed request
/// are dropped.
final class InFlightRequest: TaskExecutor, @unchecked Sendable {
    let loop: EventLoop
    /// Monotonic nanoseconds after which the request is answered with a timeout; 0 for never.
    let deadline: UInt64
    let timeout: Duration?
    let failure: @Sendable (HandlerFailure) -> Response
    let finished: (@Sendable (Response, HandlerFailure?, UInt64) -> Void)?
    /// Set on the loop thread; cleared once answered so a leaked request holds no connection.
    var connection: Connection?
    private let trapped = Atomic<Bool>(false)
    /// The handler's answer, left by `deliver` inside the request's own job on the loop's thread
    /// and taken by `runJobs` right after that job, on the same thread.
    private var handedAnswer: Response?

    /// `started`: when the server read the request (monotonic nanoseconds); the deadline counts
    /// from it.
    init(loop: EventLoop, connection: Connection, deferred: Reply.Deferred, started: UInt64) {
        self.loop = loop
        self.connection = connection
        self.timeout = deferred.timeout
        self.failure = deferred.failure
        self.finished = deferred.finished
        if let timeout = deferred.timeout {
            deadline = started &+ timeout.nanoseconds
        } else {
            deadline = 0
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueue(UnownedJob(job), for: self)
    }

    /// True once one of the request's jobs trapped: its other jobs are not run.
    var hasTrapped: Bool { trapped.load(ordering: .acquiring) }

    func markTrapped() { trapped.store(true, ordering: .releasing) }

    /// The handler's own answer, at the end of the request's task. Inside the guarded job the
    /// answer only waits; the loop writes it after the job, once it knows it still owns the
    /// thread (the barrier may have taken the loop from it meanwhile).
    func deliver(_ response: Response) {
        if loop.isInOwnGuardedJob {
            handedAnswer = response
        } else {
            deliverQueued(response)
        }
    }

    /// The answer `deliver` left during the job that just ran, if any.
    func takeHandedAnswer() -> Response? { handedAnswer.take() }

    /// Answers through the loop: at once on its thread outside a job, otherwise queued.
    private func deliverQueued(_ response: Response) {
        loop.onLoopThread { self.connection?.answer(self, with: .response(response)) }
    }

    /// Answers with `failure(...)` instead (a trap or a timeout), unless already answered.
    func fail(_ failure: HandlerFailure) {
        loop.onLoopThread { self.connection?.answer(self, with: .failure(failure)) }
    }
}

extension InFlightRequest {
    enum Outcome {
        case response(Response)
        case failure(HandlerFailure)
    }
}
