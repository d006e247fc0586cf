/// What answering a request needs of its head, kept by its connection while a handler runs. The
/// handler has the rest: keeping the whole head too would retain its headers and query a second
/// time for every request.
struct Answering {
    let method: String
    let target: String
    let minorVersion: Int
    let keepAlive: Bool

    init(_ head: borrowing HTTPRequestHead) {
        method = head.method
        target = head.target
        minorVersion = head.minorVersion
        keepAlive = head.keepAlive
    }
}
