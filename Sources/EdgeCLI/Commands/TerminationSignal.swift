import Dispatch
import Glibc

/// SIGINT and SIGTERM, delivered to async code through Dispatch.
enum TerminationSignal {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Waits for the first SIGINT or SIGTERM and returns which it was.
    static func next() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let once = Once()
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    if once.first() { continuation.resume(returning: number) }
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// A second signal while shutting down stops at once.
    static func onSecondSignal(_ action: @escaping @Sendable () -> Void) {
        for source in sources { source.setEventHandler(handler: action) }
    }

    private final class Once: @unchecked Sendable {
        private var fired = false
        private var lock = pthread_mutex_t()
        init() { pthread_mutex_init(&lock, nil) }
        func first() -> Bool {
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            if fired { return false }
            fired = true
            return true
        }
    }
}
