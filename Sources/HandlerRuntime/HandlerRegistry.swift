import EdgeSDK
import EdgeSystem
import Synchronization

/// The loaded handlers, by endpoint id, and the old versions still draining.
///
/// Routing reads the serving version under a short lock; swaps replace it under the same lock, so
/// a request is either counted on the old version before it starts draining or routed to the new
/// one. Retiring a version drops the registry's references to it: the library stays mapped for
/// ever (never `dlclose` Swift code), which costs about 70 KiB per retired version.
public final class HandlerRegistry: Sendable {
    public static let defaultDrainTimeout: Duration = .seconds(30)

    /// `.edge/build`: where `load(_:)` looks for an endpoint's newest library.
    public let buildRoot: String

    private struct DrainingVersion {
        let handler: LoadedHandler
        let deadline: UInt64
    }

    private struct Record {
        var phase: EndpointState = .created
        var lastError: String?
    }

    private struct State {
        var active: [String: LoadedHandler] = [:]
        var draining: [DrainingVersion] = []
        var records: [String: Record] = [:]
        var anonymousVersions: [String: Int] = [:]
        /// The last `keptVersions` versions of each endpoint, oldest first: callable for replay.
        var recent: [String: [LoadedHandler]] = [:]
    }

    /// How many versions of each endpoint stay callable for replay (their libraries stay
    /// mapped anyway: Swift libraries are never unloaded).
    public var keptVersions: Int {
        get { keptVersionsLimit.load(ordering: .relaxed) }
        set { keptVersionsLimit.store(max(1, newValue), ordering: .relaxed) }
    }
    private let keptVersionsLimit = Atomic<Int>(10)

    public typealias RetireObserver = @Sendable (LoadedHandler, RetireReason) -> Void

    private let state = Mutex(State())
    private let observer: Mutex<RetireObserver?> = Mutex(nil)
    private let janitor: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Starts a background task that runs `cleanupDrained()` every `cleanupInterval`.
    /// Requests in flight per endpoint, also counted where another process can read them.
    public let inFlightTable: SharedCounters?

    /// `inFlightTable`, when given, counts every endpoint's requests in flight in memory the
    /// supervisor reads after the gateway died (to name the endpoints it died serving).
    public init(
        buildRoot: String, cleanupInterval: Duration = .milliseconds(100), inFlightTable: SharedCounters? = nil
    ) {
        self.buildRoot = buildRoot
        self.inFlightTable = inFlightTable
        let task = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: cleanupInterval)
                guard let self else { return }
                self.cleanupDrained()
            }
        }
        janitor.withLock { $0 = task }
    }

    deinit {
        janitor.withLock { $0?.cancel() }
    }

    /// Called (outside any lock) for every version the registry retires.
    public func onRetire(_ observer: @escaping RetireObserver) {
        self.observer.withLock { $0 = observer }
    }

    // MARK: - Loading

    /// Loads the newest library built for `endpointID` under `buildRoot`.
    @discardableResult
    public func load(_ endpointID: String) throws(LoadError) -> LoadedHandler {
        let directory = FilePath.join(buildRoot, endpointID)
        let versions = FilePath.contents(of: directory).compactMap(Int.init).sorted(by: >)
        for version in versions {
            let path = FilePath.join(FilePath.join(directory, String(version)), HandlerLibrary.fileName(endpointID))
            if FilePath.exists(path) {
                return try load(endpointID, from: path, version: version)
            }
        }
        throw .notBuilt(endpoint: endpointID, buildDirectory: directory)
    }

    /// Loads the library at `path` as `endpointID` and routes to it. A version already serving is
    /// replaced gracefully, with the default drain timeout.
    ///
    /// `version` defaults to the number of the folder holding the library (`.../<n>/lib...`).
    @discardableResult
    public func load(_ endpointID: String, from path: String, version: Int? = nil) throws(LoadError)
        -> LoadedHandler
    {
        let handler = try open(endpointID, path: path, version: version)
        install(handler, drainTimeout: Self.defaultDrainTimeout)
        return handler
    }

    /// Opens the library at `path` as a version of `endpointID` without routing to it: the slow
    /// part of a swap (`dlopen` binds every symbol), which the caller can do outside its own locks.
    /// `swapGraceful(to:)` then routes to it. (Without `version`, the registry's lock is taken
    /// briefly to number it.)
    public func open(_ endpointID: String, path: String, version: Int? = nil) throws(LoadError) -> LoadedHandler {
        let library = try DynamicLibrary(path: path)
        guard let symbol = library.symbol(HandlerLibrary.entrySymbol) else { throw .missingEntry(path: path) }
        typealias Entry = @convention(c) () -> UnsafeMutableRawPointer
        let entry = HandlerEntry.take(unsafeBitCast(symbol, to: Entry.self)())
        guard entry.abiVersion == HandlerEntry.currentABIVersion else {
            throw .abiMismatch(path: path, found: entry.abiVersion, expected: HandlerEntry.currentABIVersion)
        }
        let number =
            version ?? Int(FilePath.lastComponent(FilePath.directory(of: path)))
            ?? state.withLock {
                let next = max($0.anonymousVersions[endpointID, default: 0], $0.active[endpointID]?.version ?? 0) + 1
                $0.anonymousVersions[endpointID] = next
                return next
            }
        let sharedSlot = inFlightTable.flatMap { table in table.slot(for: endpointID).map { (table, $0) } }
        return LoadedHandler(
            endpointID: endpointID, version: number, libraryPath: path, entry: entry, sharedSlot: sharedSlot)
    }

    // MARK: - Swapping

    /// Loads `path` and routes to it at once; the old version is dropped from routing and
    /// forgotten, its in-flight requests finishing on their own.
    @discardableResult
    public func swap(_ endpointID: String, to path: String, version: Int? = nil) throws(LoadError) -> LoadedHandler {
        let handler = try open(endpointID, path: path, version: version)
        let old = state.withLock { state -> LoadedHandler? in
            let old = state.active.updateValue(handler, forKey: endpointID)
            state.records[endpointID, default: Record()].phase = .loaded
            state.records[endpointID]?.lastError = nil
            return old
        }
        if let old {
            old.markDraining()
            notify(old, .replaced)
        }
        return handler
    }

    /// Loads `path`, routes new requests to it at once, and leaves the old version draining: it
    /// finishes its in-flight requests and is retired when they are done or when `drainTimeout`
    /// passes, whichever comes first (the background cleanup does this).
    @discardableResult
    public func swapGraceful(
        _ endpointID: String, to path: String, version: Int? = nil,
        drainTimeout: Duration = HandlerRegistry.defaultDrainTimeout
    ) throws(LoadError) -> SwapResult {
        let handler = try open(endpointID, path: path, version: version)
        return install(handler, drainTimeout: drainTimeout)
    }

    /// `swapGraceful` for a version already opened with `open(_:path:version:)`.
    @discardableResult
    public func swapGraceful(to handler: LoadedHandler, drainTimeout: Duration = HandlerRegistry.defaultDrainTimeout)
        -> SwapResult
    {
        install(handler, drainTimeout: drainTimeout)
    }

    @discardableResult
    private func install(_ handler: LoadedHandler, drainTimeout: Duration) -> SwapResult {
        // Installing the serving version again, or a retired one, would mark it draining while
        // it routes: it would refuse every request from then on.
        if handler.isDraining || state.withLock({ $0.active[handler.endpointID] === handler }) {
            return SwapResult(
                swapped: false, oldRequestsPending: 0, draining: false, oldVersion: handler.version,
                newVersion: handler.version)
        }
        let deadline = MonotonicClock.nanoseconds() &+ drainTimeout.nanoseconds
        let (old, pending) = state.withLock { state -> (LoadedHandler?, Int) in
            let old = state.active.updateValue(handler, forKey: handler.endpointID)
            var recent = state.recent[handler.endpointID, default: []].filter { $0.version != handler.version }
            recent.append(handler)
            state.recent[handler.endpointID] = Array(recent.suffix(keptVersions))
            state.records[handler.endpointID, default: Record()].phase = .loaded
            state.records[handler.endpointID]?.lastError = nil
            guard let old else { return (nil, 0) }
            let pending = old.markDraining()
            if pending > 0 { state.draining.append(DrainingVersion(handler: old, deadline: deadline)) }
            return (old, pending)
        }
        if let old, pending == 0 { notify(old, .idle) }
        return SwapResult(
            swapped: true, oldRequestsPending: pending, draining: pending > 0, oldVersion: old?.version,
            newVersion: handler.version)
    }

    /// Stops routing to `endpointID` (its folder was removed). Its serving version drains like a
    /// swapped-out one. Returns false when nothing was loaded.
    @discardableResult
    public func remove(_ endpointID: String, drainTimeout: Duration = HandlerRegistry.defaultDrainTimeout) -> Bool {
        let deadline = MonotonicClock.nanoseconds() &+ drainTimeout.nanoseconds
        let (old, pending) = state.withLock { state -> (LoadedHandler?, Int) in
            state.records[endpointID] = nil
            state.recent[endpointID] = nil
            guard let old = state.active.removeValue(forKey: endpointID) else { return (nil, 0) }
            let pending = old.markDraining()
            if pending > 0 { state.draining.append(DrainingVersion(handler: old, deadline: deadline)) }
            return (old, pending)
        }
        if let old, pending == 0 { notify(old, .idle) }
        return old != nil
    }

    /// Retires every draining version that has drained or whose drain timeout has passed.
    /// Returns how many were retired. Also runs in the background every `cleanupInterval`.
    @discardableResult
    public func cleanupDrained() -> Int {
        let now = MonotonicClock.nanoseconds()
        let retired = state.withLock { state -> [(LoadedHandler, RetireReason)] in
            var retired: [(LoadedHandler, RetireReason)] = []
            state.draining.removeAll { version in
                if version.handler.activeRequests == 0 {
                    retired.append((version.handler, .drained))
                    return true
                }
                if now >= version.deadline {
                    retired.append((version.handler, .timedOut))
                    return true
                }
                return false
            }
            return retired
        }
        for (handler, reason) in retired { notify(handler, reason) }
        return retired.count
    }

    private func notify(_ handler: LoadedHandler, _ reason: RetireReason) {
        observer.withLock { $0 }?(handler, reason)
    }

    // MARK: - Executing

    /// Counts a request in on the serving version of `endpointID` (the seed's `acquire_request`):
    /// nil when none serves. The guard pins the version for that request, so a swap after this
    /// point drains it rather than cutting it off.
    public func acquireRequest(_ endpointID: String) -> RequestGuard? {
        state.withLock { $0.active[endpointID]?.acquireRequest() }
    }

    /// Runs `request` on the version `requestGuard` holds and releases the guard when the handler
    /// answers. `context` supplies the request id, log sink and state; its endpoint and version
    /// are set to the handler that actually runs.
    ///
    /// This is the one way a handler runs. The server calls it inside its crash barrier and
    /// deadline: when the handler traps or overruns, the handler never returns here, and the
    /// server answers 500 or 504 and releases the guard itself (releasing twice is harmless).
    nonisolated(nonsending) public func execute(_ requestGuard: RequestGuard, context: Context, request: Request) async
        -> Response
    {
        defer { requestGuard.release() }
        let handler = requestGuard.handler
        return await handler.call(request, context: context.stamped(handler))
    }

    /// Runs `request` on the serving version of `endpointID`.
    public func execute(_ endpointID: String, context: Context, request: Request) async throws(RegistryError)
        -> Response
    {
        guard let requestGuard = acquireRequest(endpointID) else { throw .notLoaded(endpointID) }
        return await execute(requestGuard, context: context, request: request)
    }

    /// As `execute`, but throws `RegistryError.timedOut` when the handler has not answered within
    /// `timeout` (the server's 504), for callers that await the answer themselves. The request's
    /// slot is released then, so draining and `stats()` stay truthful; the abandoned handler runs
    /// on (nothing is unmapped under it) and is asked to cancel.
    public func execute(_ endpointID: String, context: Context, request: Request, timeout: Duration)
        async throws(RegistryError) -> Response
    {
        guard let requestGuard = acquireRequest(endpointID) else { throw .notLoaded(endpointID) }
        let race = FirstAnswer()
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Response?, Never>) in
            race.arm(continuation)
            let work = Task { race.answer(await self.execute(requestGuard, context: context, request: request)) }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled, race.answer(nil) {
                    requestGuard.release()
                    work.cancel()
                }
            }
            race.onAnswer { timer.cancel() }
        }
        guard let outcome else {
            throw .timedOut(endpoint: endpointID, milliseconds: Int(timeout.nanoseconds / 1_000_000))
        }
        return outcome
    }

    // MARK: - Looking

    /// The serving version of `endpointID`, if any.
    public func handler(for endpointID: String) -> LoadedHandler? {
        state.withLock { $0.active[endpointID] }
    }

    /// The kept version `version` of `endpointID` (serving, draining or retired), if kept.
    public func keptVersion(_ endpointID: String, _ version: Int) -> LoadedHandler? {
        state.withLock { $0.recent[endpointID]?.first { $0.version == version } }
    }

    /// The versions of `endpointID` kept callable, oldest first.
    public func keptVersions(of endpointID: String) -> [Int] {
        state.withLock { $0.recent[endpointID]?.map(\.version) ?? [] }
    }

    /// Old versions of `endpointID` not yet retired.
    public func drainingVersions(of endpointID: String) -> [LoadedHandler] {
        state.withLock { $0.draining.map(\.handler).filter { $0.endpointID == endpointID } }
    }

    public func stats() -> RegistryStats {
        state.withLock { state in
            RegistryStats(
                loadedCount: state.active.count,
                drainingCount: state.draining.count,
                activeRequests: state.active.values.reduce(0) { $0 + $1.activeRequests },
                drainingRequests: state.draining.reduce(0) { $0 + $1.handler.activeRequests })
        }
    }

    // MARK: - Endpoint states

    /// `loaded` while a version serves (even if a later build failed); `draining` for a removed
    /// endpoint whose last requests are finishing; otherwise what its builds came to.
    public func state(of endpointID: String) -> EndpointState {
        state.withLock { state in
            if state.active[endpointID] != nil { return .loaded }
            if let record = state.records[endpointID] { return record.phase }
            if state.draining.contains(where: { $0.handler.endpointID == endpointID }) { return .draining }
            return .created
        }
    }

    /// The last build or load error of `endpointID`, kept while an older version serves.
    public func lastError(of endpointID: String) -> String? {
        state.withLock { $0.records[endpointID]?.lastError }
    }

    /// Records that `endpointID` exists and is not built yet.
    public func markCreated(_ endpointID: String) {
        state.withLock { state in
            if state.records[endpointID] == nil { state.records[endpointID] = Record() }
        }
    }

    /// Records a successful build that is not loaded yet.
    public func markCompiled(_ endpointID: String) {
        state.withLock { state in
            state.records[endpointID, default: Record()].lastError = nil
            if state.active[endpointID] == nil { state.records[endpointID]?.phase = .compiled }
        }
    }

    /// Records a failed build or load. A serving version keeps serving (the state stays `loaded`).
    public func markFailed(_ endpointID: String, message: String) {
        state.withLock { state in
            state.records[endpointID, default: Record()].lastError = message
            if state.active[endpointID] == nil { state.records[endpointID]?.phase = .error }
        }
    }
}
