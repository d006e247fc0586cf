import EdgeSDK
import Synchronization

/// The first of several racing parties to answer resumes the continuation; the rest are ignored.
final class FirstAnswer: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Response?, Never>?
        var answered = false
        var onAnswer: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func arm(_ continuation: CheckedContinuation<Response?, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Runs `action` once an answer is in (at once if it already is).
    func onAnswer(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.answered { return true }
            state.onAnswer = action
            return false
        }
        if runNow { action() }
    }

    /// Returns true if this was the first answer.
    @discardableResult
    func answer(_ response: Response?) -> Bool {
        let (continuation, action) = state.withLock {
            state -> (CheckedContinuation<Response?, Never>?, (@Sendable () -> Void)?) in
            guard !state.answered else { return (nil, nil) }
            state.answered = true
            defer { state.continuation = nil; state.onAnswer = nil }
            return (state.continuation, state.onAnswer)
        }
        guard let continuation else { return false }
        continuation.resume(returning: response)
        action?()
        return true
    }
}
