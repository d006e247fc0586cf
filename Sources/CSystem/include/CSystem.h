// The Linux system headers that Swift's Glibc module does not cover: epoll, eventfd, inotify,
// and accept4. No code of ours: Glibc's own declarations, made importable.
#ifndef EDGE_CSYSTEM_H
#define EDGE_CSYSTEM_H

#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>

// accept4 is a GNU extension, declared only under _GNU_SOURCE, which would make these headers
// disagree with Swift's Glibc module. Declared here with glibc's own signature.
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);

// Also GNU: names a thread, so `top -H` and debuggers show which loop is which.
#include <pthread.h>
extern int pthread_setname_np(pthread_t thread, const char *name);

// The crash barrier (CrashGuard.c): signal handlers that turn a trap in handler code into a
// report and the end of that one thread. See Sources/EdgeHTTP/Server/CrashBarrier.swift.
#include <stdint.h>

/// What the signal handler reports for one trap, written whole to the report pipe.
typedef struct {
    int32_t signal;
    int32_t code;
    /// The guard the trapping thread was under: which loop, its generation, which request.
    uint64_t slot;
    uint64_t generation;
    uint64_t token;
    uint64_t address;
    uint64_t pc;
    /// The Swift runtime's fatal message, taken (and cleared) at the trap, or 0; free() it.
    uint64_t message;
} edge_crash_record;

/// Installs the handlers for SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE and SIGABRT, keeping the
/// previous actions for faults outside guarded code. Returns 0 or an errno value.
int edge_guard_install(int report_fd);

/// Gives the calling thread an alternate signal stack (a stack overflow must still be able to
/// run the handler). Returns the stack, to be freed with edge_guard_free_stack once the thread is
/// gone, or NULL with errno set.
void *edge_guard_prepare_thread(void);

/// Frees a stack from edge_guard_prepare_thread. The thread using it must be gone, or be the
/// caller and have disabled it (edge_guard_forget_thread).
void edge_guard_free_stack(void *stack);

/// Disables the calling thread's alternate stack; call before the thread ends normally.
void edge_guard_forget_thread(void);

/// Marks the calling thread as running handler code for (slot, generation, token) until
/// edge_guard_leave. A trap in between ends this thread, not the process.
void edge_guard_enter(uint64_t slot, uint64_t generation, uint64_t token);
void edge_guard_leave(void);

/// For `edge-dev serve`'s supervisor: SIGINT, SIGTERM and SIGHUP are passed on to `child`
/// (the gateway process) instead of ending this one; edge_supervisor_stop_signal() then returns
/// the first such signal (0 until one came).
void edge_supervisor_forward_signals(int child);
int edge_supervisor_stop_signal(void);

/// For the gateway process: receive `signal` when the parent (the supervisor) dies, so a killed
/// supervisor never leaves a gateway holding the port. Returns 0 or an errno value.
int edge_set_parent_death_signal(int signal);

/// Atomic add and load on a counter in memory shared with another process (the supervisor
/// reads the gateway's in-flight table after the gateway died).
static inline void edge_shared_add(int32_t *counter, int32_t delta) {
    __atomic_fetch_add(counter, delta, __ATOMIC_RELAXED);
}
static inline int32_t edge_shared_load(const int32_t *counter) {
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}
static inline void edge_shared_store(int32_t *counter, int32_t value) {
    __atomic_store_n(counter, value, __ATOMIC_RELEASE);
}

/// Joins `thread`, waiting at most `milliseconds`. Returns 0 or an errno value (ETIMEDOUT).
int edge_guard_join_thread(pthread_t thread, int milliseconds);

#endif

/// pipe2(fds, O_CLOEXEC): both ends close on exec, set atomically (no other thread's spawn can
/// inherit them in between). Glibc's Swift module hides pipe2 without _GNU_SOURCE.
int edge_pipe_cloexec(int fds[2]);

// The CPUs this process may run on (sched_getaffinity, a GNU extension); 0 if unknown.
int edge_available_cpus(void);

#endif
