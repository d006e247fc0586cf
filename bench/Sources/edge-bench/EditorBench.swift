import EdgeSystem
import EdgeTestSupport
import Glibc

/// `edge-bench editor --edge-dev PATH [--runs N]`: what a developer waits for in an editor, with
/// the toolchain's sourcekit-lsp on a copy of the samples and `buildServer.json` written by
/// `edge-dev editor`. Runs alternate a cold module cache (a fresh XDG_CACHE_HOME for
/// sourcekit-lsp, a fresh module cache for edge-dev bsp) with a warm one; medians of each.
func editorBench() throws {
    guard let index = arguments.firstIndex(of: "--edge-dev"), index + 1 < arguments.count else {
        throw SystemError("edge-bench editor needs --edge-dev PATH", code: EINVAL)
    }
    let edgeDev = arguments[index + 1]
    let runs = option("--runs", default: 5)
    guard LanguageServerClient.executable != nil else {
        HostLog.line("no sourcekit-lsp beside swiftc: nothing to measure")
        return
    }
    var template = Array("/tmp/edge-bench-editor-XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else { throw SystemError.current("mkdtemp") }
    let scratch = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer { FilePath.removeTree(scratch) }
    let warmCache = FilePath.join(scratch, "warm-cache")
    var figures: [String: [String: [Double]]] = ["cold": [:], "warm": [:]]
    let names = [
        "didOpen to clean diagnostics, pulled", "didOpen to clean diagnostics, pushed", "completion after req.",
        "new file saved to resolved, pulled", "new file saved to resolved, pushed",
    ]

    for run in 0..<(2 * runs + 1) {
        // Run 0 fills the warm cache and is not counted.
        let cold = run % 2 == 1
        let root = FilePath.join(scratch, "run-\(run)")
        let handlers = FilePath.join(root, "handlers")
        try FilePath.createDirectories(handlers)
        for sample in ["todos", "hello"] {
            _ = try runCommand(["/bin/cp", "-r", FilePath.join(samples, sample), handlers])
        }
        let cache = cold ? FilePath.join(scratch, "cold-\(run)") : warmCache
        _ = try runCommand(["/bin/sh", "-c", "cd \"$0\" && exec \"$1\" editor >/dev/null", root, edgeDev])
        let client = try LanguageServerClient(
            root: root, environment: ["XDG_CACHE_HOME": cache, "EDGE_MODULE_CACHE": FilePath.join(cache, "edge")])
        let file = FilePath.join(handlers, "todos/src/handler.swift")
        var lines = try FilePath.readText(file).split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)

        // Opened: pulled until clean (what VS Code shows), and pushed (what Neovim shows, after
        // sourcekit-lsp's 1 s publish debounce).
        var clock = MonotonicClock.nanoseconds()
        var start = try client.open(file)
        try pullUntil(client, file) { $0.isEmpty }
        let pulled = MonotonicClock.milliseconds(since: clock)
        _ = try client.diagnostics(file, from: start) { $0.isEmpty }
        let pushed = MonotonicClock.milliseconds(since: clock)

        let handleLine = lines.firstIndex { $0.hasPrefix("func handle(") } ?? 7
        lines.insert("    _ = req.", at: handleLine + 1)
        _ = try client.change(file, text: lines.joined(separator: "\n"))
        clock = MonotonicClock.nanoseconds()
        let labels = try client.completion(file, line: handleLine + 2, column: 12)
        let completed = MonotonicClock.milliseconds(since: clock)
        guard labels.contains("method") else { throw SystemError("no 'method' in completion: \(labels)", code: EIO) }

        // A new file the open one uses: from the save to the error clearing.
        let hello = FilePath.join(handlers, "hello/src/handler.swift")
        try FilePath.write(
            "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(Extra.greeting) }\n",
            to: hello)
        start = try client.open(hello)
        _ = try client.diagnostics(hello, from: start) { !$0.isEmpty }
        start = client.peer.notifications.count
        clock = MonotonicClock.nanoseconds()
        try FilePath.write(
            "enum Extra { static let greeting = \"hi\" }\n", to: FilePath.join(handlers, "hello/src/Extra.swift"))
        try pullUntil(client, hello) { $0.isEmpty }
        let resolvedPulled = MonotonicClock.milliseconds(since: clock)
        _ = try client.diagnostics(hello, from: start, timeout: .seconds(20)) { $0.isEmpty }
        let resolvedPushed = MonotonicClock.milliseconds(since: clock)

        guard run > 0 else { continue }
        let kind = cold ? "cold" : "warm"
        figures[kind]![names[0], default: []].append(pulled)
        figures[kind]![names[1], default: []].append(pushed)
        figures[kind]![names[2], default: []].append(completed)
        figures[kind]![names[3], default: []].append(resolvedPulled)
        figures[kind]![names[4], default: []].append(resolvedPushed)
    }
    HostLog.line("sourcekit-lsp + edge-dev bsp on the todos sample, \(runs) cold and \(runs) warm runs, alternating:")
    for name in names {
        let cold = median(figures["cold"]![name] ?? [])
        let warm = median(figures["warm"]![name] ?? [])
        HostLog.line("  \(name.padding(44)) warm \(format(warm)) ms   cold \(format(cold)) ms")
    }
}

/// Asks for the document's diagnostics every 10 ms until `done` accepts them (20 s at most).
private func pullUntil(
    _ client: LanguageServerClient, _ file: String, _ done: ([LanguageServerClient.Diagnostic]) -> Bool
) throws {
    let deadline = MonotonicClock.nanoseconds() + 20_000_000_000
    while MonotonicClock.nanoseconds() < deadline {
        if done(try client.pullDiagnostics(file)) { return }
        usleep(10_000)
    }
    throw SystemError("diagnostics of \(file) never settled", code: ETIMEDOUT)
}
