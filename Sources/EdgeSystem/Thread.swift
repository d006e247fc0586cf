import CSystem
import Glibc

/// Starts a POSIX thread running `body`; detached unless `joinable`.
@discardableResult
public func startThread(name: String, joinable: Bool = false, _ body: @escaping @Sendable () -> Void)
    throws(SystemError)
    -> pthread_t
{
    final class Box {
        let body: @Sendable () -> Void
        let name: String
        init(_ body: @escaping @Sendable () -> Void, name: String) {
            self.body = body
            self.name = name
        }
    }
    let context = Unmanaged.passRetained(Box(body, name: name)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread, nil,
        { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            pthread_setname_np(pthread_self(), String(box.name.prefix(15)))
            box.body()
            return nil
        }, context)
    guard result == 0 else {
        Unmanaged<Box>.fromOpaque(context).release()
        throw SystemError("pthread_create", code: result)
    }
    if !joinable { pthread_detach(thread) }
    return thread
}

/// Runs blocking `body` on a thread of its own and waits for it without holding one of the
/// threads Swift's tasks run on (on Linux, Dispatch's default pool, about one per core). Throws
/// only when no thread can be started.
public func onOwnThread<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async throws(SystemError)
    -> T
{
    let started: Result<T, SystemError> = await withCheckedContinuation { continuation in
        do throws(SystemError) {
            try startThread(name: name) { continuation.resume(returning: .success(body())) }
        } catch {
            continuation.resume(returning: .failure(error))
        }
    }
    return try started.get()
}
