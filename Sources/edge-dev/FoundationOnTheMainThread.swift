import Glibc

/// Loads Foundation on the main thread before `main` first suspends, in every process that may
/// load handlers.
///
/// Why: an async `main` on Linux runs its first steps on the main thread and then parks that
/// thread in `dispatch_main()`; from then on the main actor's jobs (the main dispatch queue) run
/// on Dispatch's worker threads. When libFoundation is first loaded after that, on another thread
/// (a handler that imports Foundation, `dlopen`ed by a build task), its CoreFoundation start-up
/// binds the main queue to a run loop on the main thread, which nobody will ever run: every
/// later job of the main actor waits for ever. That was `serve` never exiting after Ctrl-C once a
/// handler imported Foundation. A 20-line program shows it without edge-dev (a detached task
/// `dlopen`s libFoundation.so while `main` sleeps: `main` never wakes); loading it on the main
/// thread first, as here, makes the same program finish. Cost: about 5 ms at start-up.
enum FoundationOnTheMainThread {
    static func load() {
        // The runtime folder is on edge-dev's own run path, where the toolchain's libraries are.
        _ = dlopen("libFoundation.so", RTLD_NOW | RTLD_GLOBAL)
    }
}
