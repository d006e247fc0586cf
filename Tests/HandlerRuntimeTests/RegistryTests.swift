import EdgeSDK
import EdgeSystem
import EdgeTestSupport
import HandlerBuild
import HandlerRuntime
import Synchronization
import Testing

/// A handler that reports its version, optionally after sleeping `?ms=`.
let versionedSource = """
    import EdgeSDK
    func handle(_ ctx: Context, _ req: Request) async throws -> Response {
        if let ms = req.query("ms"), let n = Int(ms) { try await Task.sleep(for: .milliseconds(n)) }
        return .text("\\(ctx.version)")
    }
    """

func slowRequest(_ ms: Int) -> Request { Request(queryItems: [.init(name: "ms", value: String(ms))]) }

@Suite(.onOwnThreads) struct RegistryTests {
    @Test func swapGracefulDrainsTheOldVersion() async throws {
        // A janitor that never runs on its own: this test calls cleanupDrained() itself.
        let test = try TestProject(cleanupInterval: .seconds(3600))
        try test.write("api", versionedSource)
        let v1 = try await test.deploy("api")
        try test.write("api", versionedSource + "\n// v2\n")
        let v2Build = try await test.build("api")

        let slow = Task { try await test.execute("api", slowRequest(600)) }
        #expect(await eventually { v1.activeRequests == 1 })

        let result = try test.registry.swapGraceful("api", to: v2Build.libraryPath!, version: v2Build.version)
        #expect(result.swapped)
        #expect(result.oldRequestsPending == 1)
        #expect(result.draining)
        #expect(result.oldVersion == 1 && result.newVersion == 2)
        #expect(v1.isDraining && v1.drainState == .draining)
        #expect(
            test.registry.stats()
                == RegistryStats(loadedCount: 1, drainingCount: 1, activeRequests: 0, drainingRequests: 1))

        // New requests go to v2 at once, while the slow one is still running on v1.
        #expect(try await test.execute("api").bodyText == "2")
        #expect(test.registry.cleanupDrained() == 0)

        #expect(try await slow.value.bodyText == "1")
        #expect(v1.drainState == .drained)
        #expect(test.registry.cleanupDrained() == 1)
        #expect(
            test.registry.stats()
                == RegistryStats(loadedCount: 1, drainingCount: 0, activeRequests: 0, drainingRequests: 0))
    }

    @Test func theBackgroundTaskRetiresDrainedVersions() async throws {
        let test = try TestProject(cleanupInterval: .milliseconds(20))
        let retired = Mutex<[(Int, RetireReason)]>([])
        test.registry.onRetire { handler, reason in retired.withLock { $0.append((handler.version, reason)) } }
        try test.write("api", versionedSource)
        let v1 = try await test.deploy("api")
        try test.write("api", versionedSource + "\n// v2\n")
        let v2Build = try await test.build("api")
        let slow = Task { try await test.execute("api", slowRequest(300)) }
        #expect(await eventually { v1.activeRequests == 1 })
        try test.registry.swapGraceful("api", to: v2Build.libraryPath!, version: v2Build.version)
        #expect(try await slow.value.bodyText == "1")
        #expect(await eventually { test.registry.stats().drainingCount == 0 })
        #expect(retired.withLock { $0.map(\.0) } == [1])
        #expect(retired.withLock { $0.first?.1 } == .drained)
    }

    @Test func aDrainTimeoutRetiresTheOldVersionAnyway() async throws {
        let test = try TestProject(cleanupInterval: .seconds(3600))
        try test.write("api", versionedSource)
        let v1 = try await test.deploy("api")
        try test.write("api", versionedSource + "\n// v2\n")
        let v2Build = try await test.build("api")
        let slow = Task { try await test.execute("api", slowRequest(1500)) }
        #expect(await eventually { v1.activeRequests == 1 })

        let result = try test.registry.swapGraceful(
            "api", to: v2Build.libraryPath!, version: v2Build.version, drainTimeout: .milliseconds(100))
        #expect(result.draining)
        try await Task.sleep(for: .milliseconds(200))
        #expect(test.registry.cleanupDrained() == 1)
        #expect(test.registry.stats().drainingCount == 0)
        // Retired with its request still running: the request still finishes, on v1's code.
        #expect(try await slow.value.bodyText == "1")
    }

    @Test func acquireRequestReturnsNilOnceDraining() async throws {
        let test = try TestProject(cleanupInterval: .seconds(3600))
        try test.write("api", versionedSource)
        let v1 = try await test.deploy("api")
        let held = try #require(v1.acquireRequest())
        #expect(v1.activeRequests == 1)
        try test.write("api", versionedSource + "\n// v2\n")
        try await test.deploy("api")  // load over a serving version swaps gracefully
        #expect(v1.isDraining)
        #expect(v1.acquireRequest() == nil)
        #expect(v1.activeRequests == 1)
        held.release()
        held.release()  // releasing twice counts out once
        #expect(v1.activeRequests == 0)
        #expect(v1.drainState == .drained)
    }

    @Test func immediateSwapDropsTheOldVersionFromRouting() async throws {
        let test = try TestProject()
        try test.write("api", versionedSource)
        let v1 = try await test.deploy("api")
        try test.write("api", versionedSource + "\n// v2\n")
        let build = try await test.build("api")
        let v2 = try test.registry.swap("api", to: build.libraryPath!, version: build.version)
        #expect(v2.version == 2)
        #expect(v1.isDraining)
        #expect(test.registry.stats().drainingCount == 0)
        #expect(try await test.execute("api").bodyText == "2")
    }

    @Test func loadFindsTheNewestBuildInTheBuildFolder() async throws {
        let test = try TestProject()
        try test.write("api", versionedSource)
        _ = try await test.build("api")
        try test.write("api", versionedSource + "\n// v2\n")
        _ = try await test.build("api")
        let loaded = try test.registry.load("api")
        #expect(loaded.version == 2)
        #expect(loaded.libraryPath.hasSuffix("/.edge/build/api/2/libhandler_api.so"))
        #expect(throws: LoadError.notBuilt(endpoint: "nope", buildDirectory: test.project.buildRoot + "/nope")) {
            try test.registry.load("nope")
        }
        await #expect(throws: RegistryError.notLoaded("nope")) { try await test.execute("nope") }
    }

    @Test func aLibraryWithoutEntryPointIsRefused() async throws {
        let test = try TestProject()
        try test.write("api", versionedSource)
        let build = try await test.build("api")
        let sdkLibrary = test.compiler.sdk.libraryDirectory + "/libEdgeSDK.so"
        #expect(throws: LoadError.missingEntry(path: sdkLibrary)) {
            try test.registry.load("api", from: sdkLibrary)
        }
        #expect(throws: LoadError.self) { try test.registry.load("api", from: build.libraryPath! + ".missing") }
    }

    @Test func executeWithTimeoutAnswersTimedOutAndFreesTheSlot() async throws {
        let test = try TestProject()
        try test.write("api", versionedSource)
        try await test.deploy("api")
        let context = Context(endpointID: "api", version: 0, requestID: "t")
        await #expect(throws: RegistryError.timedOut(endpoint: "api", milliseconds: 100)) {
            try await test.registry.execute(
                "api", context: context, request: slowRequest(2000), timeout: .milliseconds(100))
        }
        #expect(test.registry.stats().activeRequests == 0)
        let quick = try await test.registry.execute("api", context: context, request: Request(), timeout: .seconds(5))
        #expect(quick.bodyText == "1")
    }

    /// The server's path: a guard taken at routing time pins the version, `execute(guard...)`
    /// releases it, and a guard released again (the server's 500/504 path) counts out only once.
    @Test func aRequestGuardPinsItsVersionAcrossASwap() async throws {
        let test = try TestProject(cleanupInterval: .seconds(3600))
        try test.write("api", versionedSource)
        let v1 = try await test.deploy("api")
        let pinned = try #require(test.registry.acquireRequest("api"))
        #expect(v1.activeRequests == 1)

        // A version opened without routing does not serve until it is swapped in.
        try test.write("api", versionedSource + "\n// v2\n")
        let build = try await test.build("api")
        let v2 = try test.registry.open("api", path: build.libraryPath!, version: build.version)
        #expect(test.registry.handler(for: "api") === v1)
        let swap = test.registry.swapGraceful(to: v2)
        #expect(swap.oldRequestsPending == 1 && swap.draining)
        #expect(test.registry.acquireRequest("nope") == nil)

        let context = Context(endpointID: "api", version: 0, requestID: "pinned")
        let answer = await test.registry.execute(pinned, context: context, request: Request())
        #expect(answer.bodyText == "1")
        #expect(v1.activeRequests == 0 && v1.drainState == .drained)
        pinned.release()
        #expect(v1.activeRequests == 0)
        #expect(try await test.execute("api").bodyText == "2")

        // Installing the serving version again, or a retired one, changes nothing.
        #expect(!test.registry.swapGraceful(to: v2).swapped)
        #expect(!test.registry.swapGraceful(to: v1).swapped)
        #expect(!v2.isDraining && test.registry.handler(for: "api") === v2)
        #expect(try await test.execute("api").bodyText == "2")
    }

    @Test func endpointStatesFollowTheLifecycle() async throws {
        let test = try TestProject(cleanupInterval: .seconds(3600))
        let registry = test.registry
        registry.markCreated("api")
        #expect(registry.state(of: "api") == .created)
        try test.write("api", "import EdgeSDK\nfunc handle(_ ctx: Context, _ req: Request) -> Response { oops }\n")
        let failed = await test.compiler.build("api")
        registry.markFailed("api", message: failed.errors.first?.formatted ?? "")
        #expect(registry.state(of: "api") == .error)

        try test.write("api", versionedSource)
        let built = try await test.build("api")
        registry.markCompiled("api")
        #expect(registry.state(of: "api") == .compiled)
        let v1 = try registry.load("api", from: built.libraryPath!, version: built.version)
        #expect(registry.state(of: "api") == .loaded)
        registry.markFailed("api", message: "later build failed")
        #expect(registry.state(of: "api") == .loaded)

        let slow = Task { try await test.execute("api", slowRequest(300)) }
        #expect(await eventually { v1.activeRequests == 1 })
        #expect(registry.remove("api"))
        #expect(registry.state(of: "api") == .draining)
        #expect(try await slow.value.status == 200)
        registry.cleanupDrained()
        #expect(registry.state(of: "api") == .created)
    }

    /// 200 swaps while four tasks call the endpoint without pause. Each version is a copy of one
    /// built library at a fresh path (building 200 would take a minute); what matters is 200
    /// dlopens and swaps under concurrent execution.
    @Test func twoHundredSwapsUnderConcurrentExecution() async throws {
        let test = try TestProject()
        try test.write("api", versionedSource)
        let build = try await test.build("api")
        let library = try FilePath.readBytes(build.libraryPath!)
        var paths: [String] = []
        for version in 1...200 {
            let directory = test.root + "/copies/\(version)"
            try FilePath.createDirectories(directory)
            try FilePath.write(library, to: directory + "/libhandler_api.so")
            paths.append(directory + "/libhandler_api.so")
        }
        try test.registry.load("api", from: paths[0], version: 1)
        let stop = AtomicFlag()
        let calls = AtomicCounter()
        let registry = test.registry
        // On the test's threads: beside the whole suite, four callers on the shared pool once
        // made fewer than 20 calls in 10 s.
        let callers = (0..<4).map { _ in
            Task(executorPreference: BlockingWorkExecutor.shared) {
                var highest = 0
                while !stop.isSet {
                    let body = try await registry.execute(
                        "api", context: Context(endpointID: "api", version: 0, requestID: "c"), request: Request()
                    ).bodyText
                    let version = try #require(Int(body))
                    // A caller never sees an older version than one it has already seen.
                    #expect(version >= highest)
                    highest = version
                    calls.increment()
                    // The handler never suspends; yield so that the swaps' own work gets its turn.
                    await Task.yield()
                }
            }
        }
        #expect(await eventually { calls.value >= 20 })
        let callsBefore = calls.value
        let before = residentKiB()
        for version in 2...200 {
            try registry.swapGraceful("api", to: paths[version - 1], version: version)
            #expect(try await test.execute("api").bodyText == String(version))
            if version.isMultiple(of: 10) { try await Task.sleep(for: .milliseconds(1)) }
        }
        let after = residentKiB()
        // The callers really ran while the swaps happened.
        #expect(calls.value > callsBefore)
        stop.set()
        for caller in callers { try await caller.value }
        #expect(await eventually { registry.stats().drainingCount == 0 })
        print(
            "200 swaps: RSS \(before) KiB -> \(after) KiB, \((after - before) / 199) KiB per swap, \(calls.value) concurrent calls"
        )
    }
}
