import EdgeHTTP
import EdgeSDK
import EdgeSystem
import Glibc
import HandlerBuild
import HandlerRuntime

// edge-bench: the figures behind edge-dev's claims, printed, never asserted.
//
//   edge-bench compile [--runs N]   median build time of hello and todos, debug and release,
//                                   and the dlopen-to-serving time of a graceful swap
//   edge-bench swaps [--count N]    N real builds swapped in one after another: RSS per swap
//   edge-bench reload --port P --file F [--path P] [--mark] [--edits N] [--gap-ms G]
//                                   edit-to-live latency against a running `edge-dev serve`
//   edge-bench bare --file F [--dir D] [--runs N]
//                                   the bare compile time of that same handler source
//   edge-bench swiftc --file F [--dir D] [--runs N]
//                                   `swiftc -emit-library` of the same sources
//   (--dir D: every Swift file of D, F the one edited at its `let benchMark = ...` line)
//   edge-bench editor --edge-dev PATH [--runs N]
//                                   sourcekit-lsp with edge-dev bsp: diagnostics, completion,
//                                   a new file resolved (cold and warm module caches)

let arguments = Array(CommandLine.arguments.dropFirst())
let samples = FilePath.absolute(FilePath.join(FilePath.directory(of: #filePath), "../../../sample-handlers"))

func option(_ name: String, default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return value }
    return Int(arguments[index + 1]) ?? value
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count.isMultiple(of: 2)
        ? (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 : sorted[sorted.count / 2]
}

func format(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

/// A scratch project holding a copy of the samples.
func scratchProject() throws -> Project {
    var template = Array("/tmp/edge-bench-XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else { throw SystemError.current("mkdtemp") }
    let root = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    let project = Project(handlersDirectory: FilePath.join(root, "handlers"))
    for sample in ["hello", "todos"] {
        let source = FilePath.join(FilePath.join(samples, sample), "src")
        try FilePath.createDirectories(project.sourceDirectory(sample))
        for file in FilePath.contents(of: source) {
            try FilePath.write(
                try FilePath.readBytes(FilePath.join(source, file)),
                to: FilePath.join(project.sourceDirectory(sample), file))
        }
    }
    return project
}

func residentKiB() -> Int {
    guard let statm = try? FilePath.readText("/proc/self/statm") else { return 0 }
    let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

func compileBench() async throws {
    let runs = option("--runs", default: 9)
    let project = try scratchProject()
    defer { FilePath.removeTree(project.rootDirectory) }
    let toolchain = try Toolchain.locate()
    let sdk = try SDKLocation.locate()
    HostLog.line("toolchain: \(toolchain.swiftc)")
    HostLog.line("compile time, median of \(runs) forced builds (warm module cache):")
    for mode in [BuildMode.debug, .release] {
        let compiler = HandlerCompiler(project: project, toolchain: toolchain, sdk: sdk, mode: mode)
        let warm = await compiler.warmUp()
        if mode == .debug { HostLog.line("  module cache warm-up: \(format(warm)) ms") }
        for id in ["hello", "todos"] {
            var times: [Double] = []
            for _ in 0..<runs {
                let result = await compiler.build(id, force: true)
                guard result.status == .built else { throw SystemError("build \(id)", code: 0) }
                times.append(result.durationMilliseconds)
            }
            HostLog.line(
                "  \(id.padding(5)) \(mode.rawValue.padding(7)) median \(format(median(times))) ms   min \(format(times.min()!)) ms   max \(format(times.max()!)) ms"
            )
        }
    }

    // dlopen-to-serving: from the start of swapGraceful (dlopen, dlsym, entry call, swap) to the
    // first response from the new version.
    let compiler = HandlerCompiler(project: project, toolchain: toolchain, sdk: sdk)
    let registry = HandlerRegistry(buildRoot: project.buildRoot)
    var swapTimes: [Double] = []
    var serveTimes: [Double] = []
    let context = Context(endpointID: "hello", version: 0, requestID: "bench")
    for _ in 0..<runs {
        let result = await compiler.build("hello", force: true)
        let start = MonotonicClock.nanoseconds()
        try registry.swapGraceful("hello", to: result.libraryPath!, version: result.version)
        swapTimes.append(MonotonicClock.milliseconds(since: start) * 1000)
        let response = try await registry.execute("hello", context: context, request: Request())
        serveTimes.append(MonotonicClock.milliseconds(since: start) * 1000)
        guard response.status == 200 else { throw SystemError("serve", code: 0) }
    }
    HostLog.line(
        "dlopen-to-serving (hello, median of \(runs)): swapGraceful \(format(median(swapTimes))) us, first response served \(format(median(serveTimes))) us after the swap began"
    )
}

func swapBench() async throws {
    let count = option("--count", default: 200)
    let project = try scratchProject()
    defer { FilePath.removeTree(project.rootDirectory) }
    let compiler = try HandlerCompiler(project: project)
    let registry = HandlerRegistry(buildRoot: project.buildRoot)
    let source = FilePath.join(project.sourceDirectory("hello"), "handler.swift")
    let context = Context(endpointID: "hello", version: 0, requestID: "bench")
    var before = 0
    for n in 0...count {
        try FilePath.write(
            "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { .text(\"v\(n)\") }\n", to: source
        )
        let result = await compiler.build("hello")
        try registry.swapGraceful("hello", to: result.libraryPath!, version: result.version)
        let body = try await registry.execute("hello", context: context, request: Request()).bodyText
        guard body == "v\(n)" else { throw SystemError("wrong version served: \(body)", code: 0) }
        if n == 0 { before = residentKiB() }  // after the first load, so the SDK's own pages are not counted
    }
    _ = registry.cleanupDrained()
    let after = residentKiB()
    HostLog.line(
        "\(count) real builds swapped in: RSS \(before) KiB -> \(after) KiB, \(format(Double(after - before) / Double(count))) KiB per retired version; draining now \(registry.stats().drainingCount)"
    )
}

func stringOption(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

/// Every value given for `name` (`--path /a --path /b`), in order.
func stringOptions(_ name: String) -> [String] {
    arguments.indices.dropLast().filter { arguments[$0] == name }.map { arguments[$0 + 1] }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func helloSource(_ body: String) -> String {
    "import EdgeSDK\n\nfunc handle(_ ctx: Context, _ req: Request) async throws -> Response {\n    .text(\"\(body)\")\n}\n"
}

/// `source` with its `let benchMark = ...` line saying `mark`.
func withBenchMark(_ source: String, _ mark: String) -> String {
    source.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        guard let keyword = ["let benchMark = ", "public let benchMark = "].first(where: { line.hasPrefix($0) }) else {
            return String(line)
        }
        return "\(keyword)\"\(mark)\""
    }.joined(separator: "\n")
}

/// The files of an endpoint to build: `--dir D` (every Swift file in it, `--file` the one edited,
/// by its `benchMark` line) or `--file F` alone (hello's source, edited at its "edit " text).
func benchSources() throws -> (files: [String: String], edited: String, edit: (String, Int) -> String) {
    guard let file = stringOption("--file") else { throw SystemError("needs --file", code: 0) }
    guard let directory = stringOption("--dir") else {
        return (
            ["handler.swift": try FilePath.readText(file)], "handler.swift",
            { $0.replacingFirst("edit ", with: "run \($1) ") }
        )
    }
    var files: [String: String] = [:]
    for name in FilePath.contents(of: directory) where name.hasSuffix(".swift") {
        files[name] = try FilePath.readText(FilePath.join(directory, name))
    }
    return (files, FilePath.lastComponent(file), { withBenchMark($0, "run \($1)") })
}

/// Edit-to-live: write a changed handler, then poll until the new body is served.
func reloadBench() async throws {
    guard let port = stringOption("--port").flatMap(Int.init), let file = stringOption("--file") else {
        throw SystemError("reload needs --port and --file", code: 0)
    }
    let edits = option("--edits", default: 20)
    let gap = option("--gap-ms", default: 150)
    // Several --path: the edit is live once every one of them answers it (a module's dependents).
    let paths = stringOptions("--path").isEmpty ? ["/hello"] : stringOptions("--path")
    var latencies: [Double] = []
    var failures = 0
    let run = UInt64(MonotonicClock.nanoseconds() % 1_000_000)
    // With --mark the file keeps its code and only its `let benchMark = "..."` line changes (an
    // endpoint whose --path answers that value); without, it becomes hello with a new body.
    let marked = arguments.contains("--mark")
    let original = try FilePath.readText(file)
    for edit in 1...edits {
        let body = "edit \(run)-\(edit)"
        try FilePath.write(marked ? withBenchMark(original, body) : helloSource(body), to: file)
        let start = MonotonicClock.nanoseconds()
        var live = false
        var waiting = paths[...]
        while MonotonicClock.milliseconds(since: start) < 10_000 {
            while let path = waiting.first, (try? LocalHTTPClient.get(port: port, path)) == body {
                waiting = waiting.dropFirst()
            }
            if waiting.isEmpty {
                live = true
                break
            }
            // Gentle, and in this process: faster polling (or a curl process per poll) steals CPU
            // from the compiler on 2 cores.
            usleep(2000)
        }
        if live { latencies.append(MonotonicClock.milliseconds(since: start)) } else { failures += 1 }
        usleep(UInt32(gap * 1000))
    }
    HostLog.line(
        "edit-to-live over \(edits) edits: p50 \(format(percentile(latencies, 0.5))) ms  p90 \(format(percentile(latencies, 0.9))) ms  max \(format(latencies.max() ?? 0)) ms  not live within 10 s: \(failures)"
    )
}

/// The bare compile of the same handler sources, with the same compiler, no server, no watcher.
func bareBench() async throws {
    let runs = option("--runs", default: 20)
    let (files, edited, edit) = try benchSources()
    let project = try scratchProject()
    defer { FilePath.removeTree(project.rootDirectory) }
    let folder = project.sourceDirectory("bench")
    try FilePath.createDirectories(folder)
    for (name, text) in files { try FilePath.write(text, to: FilePath.join(folder, name)) }
    let compiler = try HandlerCompiler(project: project)
    await compiler.warmUp()
    var times: [Double] = []
    for run in 0...runs {
        try FilePath.write(edit(files[edited]!, run), to: FilePath.join(folder, edited))
        let result = await compiler.build("bench")
        guard result.status == .built else {
            throw SystemError("bare build failed: \(result.diagnostics.map(\.message))", code: 0)
        }
        if run > 0 { times.append(result.durationMilliseconds) }  // the first fills the tool pool
        usleep(300_000)  // as between saves: the compiler's replacements start meanwhile
    }
    HostLog.line(
        "bare compile of the same sources over \(runs) builds: p50 \(format(percentile(times, 0.5))) ms  p90 \(format(percentile(times, 0.9))) ms"
    )
}

/// `swiftc -emit-library` of the same handler sources and the same entry glue, the way a user
/// would build a library without edge-dev: the yardstick for edit-to-live.
func swiftcBench() async throws {
    let runs = option("--runs", default: 20)
    let (files, edited, edit) = try benchSources()
    let toolchain = try Toolchain.locate()
    let sdk = try SDKLocation.locate()
    var template = Array("/tmp/edge-bench-swiftc-XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else { throw SystemError.current("mkdtemp") }
    let folder = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer { FilePath.removeTree(folder) }
    for (name, text) in files { try FilePath.write(text, to: FilePath.join(folder, name)) }
    let glue = FilePath.join(folder, "_glue.swift")
    try FilePath.write(
        "import EdgeSDK\n@_cdecl(\"handler_entry\")\npublic func _edgeHandlerEntry() -> UnsafeMutableRawPointer {\n"
            + "    HandlerEntry(handle).retainedPointer()\n}\n", to: glue)
    let sources = files.keys.sorted().map { FilePath.join(folder, $0) } + [glue]
    var times: [Double] = []
    for run in 0...runs {
        try FilePath.write(edit(files[edited]!, run), to: FilePath.join(folder, edited))
        let start = MonotonicClock.nanoseconds()
        let log = FilePath.join(folder, "log.txt")
        let status = try await Subprocess.run(
            toolchain.swiftc,
            ["-emit-library"] + sources + [
                "-module-name", "H_bench", "-parse-as-library", "-swift-version", "6",
                "-Onone", "-I", sdk.moduleDirectory, "-L", sdk.libraryDirectory, "-lEdgeSDK",
                "-module-cache-path", FilePath.join(folder, "module-cache"), "-o", FilePath.join(folder, "lib.so"),
            ], outputFile: log)
        guard status == 0 else { throw SystemError("swiftc failed: \((try? FilePath.readText(log)) ?? "")", code: 0) }
        if run > 0 { times.append(MonotonicClock.milliseconds(since: start)) }  // the first warms its cache
    }
    HostLog.line(
        "swiftc -emit-library of the same sources over \(runs) builds: p50 \(format(percentile(times, 0.5))) ms  p90 \(format(percentile(times, 0.9))) ms"
    )
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        return String(self[..<range.lowerBound]) + replacement + String(self[range.upperBound...])
    }

    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

do {
    switch arguments.first {
    case "compile": try await compileBench()
    case "swaps": try await swapBench()
    case "reload": try await reloadBench()
    case "bare": try await bareBench()
    case "swiftc": try await swiftcBench()
    case "editor": try editorBench()
    default:
        HostLog.err(
            "usage: edge-bench compile [--runs N] | swaps [--count N] | reload --port P --file F [--edits N] | bare --file F [--runs N] | editor --edge-dev PATH [--runs N]\n"
        )
        exit(2)
    }
} catch {
    HostLog.err("edge-bench: \(error)\n")
    exit(1)
}
