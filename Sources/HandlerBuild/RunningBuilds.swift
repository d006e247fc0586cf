import Synchronization

/// How many builds (endpoints and shared modules) run now, counted once for the two things that
/// ask: a build that runs alone may use every core for frontend jobs, and the tool pool starts
/// replacements only when none runs.
final class RunningBuilds: Sendable {
    private let count = Atomic<Int>(0)

    /// A build starts; true when it is the only one.
    func start() -> Bool { count.wrappingAdd(1, ordering: .relaxed).newValue == 1 }

    /// A build ended; true when none runs any more.
    func end() -> Bool { count.wrappingSubtract(1, ordering: .relaxed).newValue == 0 }

    var isIdle: Bool { count.load(ordering: .relaxed) == 0 }
}
