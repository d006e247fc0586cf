import CSystem

/// A pipe whose ends close on exec: `(read, write)`.
public func closeOnExecPipe() throws(SystemError) -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard edge_pipe_cloexec(&fds) == 0 else { throw SystemError.current("pipe2") }
    return (fds[0], fds[1])
}
