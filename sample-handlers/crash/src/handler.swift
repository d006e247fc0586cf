import EdgeSDK

#if canImport(Glibc)
    import Glibc
#endif

/// GET /crash?kind=K: breaks in the way K names, to show edge-dev's crash barrier. Each kind costs
/// only its own request: a 500 naming the endpoint, its version and the fatal message, while every
/// other request goes on being served. GET /crash alone lists the kinds.
func handle(_ ctx: Context, _ req: Request) async throws -> Response {
    let kind = req.query("kind") ?? ""
    switch kind {
    case "nil":
        let missing: String? = req.query("value")
        return .text(missing!)
    case "index":
        let items = [1, 2, 3]
        return .text("\(items[3 + (req.query("offset").flatMap { Int($0) } ?? 0)])")
    case "overflow":
        let big = Int.max - (req.query("offset").flatMap { Int($0) } ?? 0)
        return .text("\(big + 1)")
    case "fatal":
        fatalError("the crash sample was asked to fail")
    case "precondition":
        precondition(req.query("ok") != nil, "the crash sample needs ?ok to pass this precondition")
        return .text("ok")
    case "cast":
        let value: Any = req.path
        return .text("\(value as! Int)")
    case "null":
        let pointer = UnsafeMutablePointer<Int>(bitPattern: 0x10 + (req.query("offset").flatMap { Int($0) } ?? 0))!
        pointer.pointee = 1
        return .text("unreachable")
    case "stack":
        return .text("\(recurse(1))")
    case "async-let":
        async let child = failingChild(req.query("value"))
        return .text(await child)
    case "group":
        let total = await withTaskGroup(of: Int.self) { group in
            for index in 0..<4 {
                group.addTask { index == 2 ? Int(failingChild(nil))! : index }
            }
            return await group.reduce(0, +)
        }
        return .text("\(total)")
    case "print":
        // Traps inside `print`, which leaves the stdout lock held for ever: edge-dev's own output
        // never goes through stdio, so the server (and its shutdown) carries on regardless.
        print(Trap())
        return .text("unreachable")
    case "state":
        // Traps in the middle of a `ctx.state` update: the store is not left locked.
        let count = try ctx.state.update("count", default: 0) { (count: inout Int) -> Int in
            count += 1
            if req.query("trap") != nil { fatalError("trapped inside a ctx.state update") }
            return count
        }
        return .text("count \(count)")
    case "spin":
        // Computes without yielding for ms milliseconds, then answers: past half a second edge-dev
        // moves the loop's other connections to a new thread, and this answer still arrives.
        let milliseconds = req.query("ms").flatMap { Int($0) } ?? 1000
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(milliseconds)
        var spins = 0
        while clock.now < end { spins &+= 1 }
        return .text("spun \(milliseconds) ms")
    case "block":
        // Blocks its thread (no await): edge-dev moves the other connections to a new thread, and
        // this request gets a 504 once the handler timeout passes.
        let seconds = req.query("seconds").flatMap { Int($0) } ?? 3600
        sleep(UInt32(max(0, seconds)))
        return .text("woke after \(seconds) s")
    case "hang":
        try await Task.sleep(for: .seconds(req.query("seconds").flatMap { Int($0) } ?? 3600))
        return .text("done")
    case "detached":
        // Not handler code as far as edge-dev can tell: a trap on a thread the handler does not
        // own takes the gateway process down, and `edge-dev serve` restarts it.
        Task.detached { _ = failingChild(nil) }
        return .text("a detached task will crash the gateway; edge-dev serve restarts it")
    default:
        return .json(Kinds(version: ctx.version, kinds: kinds))
    }
}

let kinds = [
    "nil", "index", "overflow", "fatal", "precondition", "cast", "null", "stack", "async-let", "group", "print",
    "state", "spin", "block", "hang", "detached",
]

struct Kinds: Encodable {
    var version: Int
    var kinds: [String]
}

struct Trap: CustomStringConvertible {
    var description: String { fatalError("trapped while printing") }
}

func failingChild(_ value: String?) -> String {
    let missing: String? = value
    return missing!
}

func recurse(_ depth: Int) -> Int {
    var frame = (depth, depth, depth, depth)
    frame.1 = depth < Int.max ? recurse(depth + 1) : 0
    return frame.0 + frame.1
}
