// The signal side of the crash barrier. Everything here runs in signal context or must be
// async-signal-safe: thread-locals, write(2), sigaction, and pthread_exit (which is what
// asynchronous cancellation does from a signal handler too).
#define _GNU_SOURCE
#include "CSystem.h"

#ifdef __linux__
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

enum { guard_stack_size = 256 * 1024 };

static const int guarded_signals[] = {SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
static struct sigaction previous_actions[NSIG];
static atomic_int report_descriptor = -1;

// initial-exec: read on every handler job, and without it each access is a __tls_get_addr call.
#define GUARD_TLS static __thread __attribute__((tls_model("initial-exec")))
GUARD_TLS int guard_active;
GUARD_TLS uint64_t guard_slot;
GUARD_TLS uint64_t guard_generation;
GUARD_TLS uint64_t guard_token;

// Exported by libswiftCore; the message of the last fatal error, which the runtime sets before
// it traps (and, when one is already there, replaces with a garbled concatenation: clear it).
extern _Atomic(const char *) *swift_getFatalErrorMessageBuffer(void);

// Takes (and clears) that message, or NULL; the caller frees it.
static char *take_fatal_message(void) {
    _Atomic(const char *) *buffer = swift_getFatalErrorMessageBuffer();
    if (!buffer) return NULL;
    return (char *)atomic_exchange(buffer, NULL);
}

static uint64_t fault_pc(void *context) {
    ucontext_t *uc = context;
#if defined(__x86_64__)
    return (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uint64_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

static void on_fault(int signal, siginfo_t *info, void *context) {
    int fd = atomic_load(&report_descriptor);
    if (!guard_active || fd < 0) {
        // Not handler code: the process must fail as it would without us. Put back the action
        // we replaced (Swift's backtracer, or the default) and let the fault happen again.
        sigaction(signal, &previous_actions[signal], NULL);
        // Sent signals, abort(), and int3 (which resumes after the instruction) would not recur.
        if (info->si_code <= 0 || signal == SIGABRT || signal == SIGTRAP) raise(signal);
        return;
    }
    guard_active = 0;
    // The runtime wrote its message just before trapping; take it now, before another thread's
    // trap can replace it. (An atomic exchange: safe in a signal handler.)
    char *message = take_fatal_message();
    edge_crash_record record = {
        .signal = signal,
        .code = info->si_code,
        .slot = guard_slot,
        .generation = guard_generation,
        .token = guard_token,
        .address = (uint64_t)(uintptr_t)info->si_addr,
        .pc = fault_pc(context),
        .message = (uint64_t)(uintptr_t)message,
    };
    // Smaller than PIPE_BUF, so the write is atomic even when two threads trap at once.
    ssize_t written;
    do {
        written = write(fd, &record, sizeof record);
    } while (written < 0 && errno == EINTR);
    // The thread's stack holds the trapped handler's frames: it cannot continue. Ending the
    // thread (not longjmp-ing out, which corrupted the heap) leaves every other thread running.
    pthread_exit(NULL);
}

int edge_guard_install(int report_fd) {
    atomic_store(&report_descriptor, report_fd);
    for (size_t i = 0; i < sizeof guarded_signals / sizeof guarded_signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = on_fault;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        if (sigaction(guarded_signals[i], &action, &previous_actions[guarded_signals[i]]) != 0) return errno;
    }
    return 0;
}

void *edge_guard_prepare_thread(void) {
    void *stack = mmap(NULL, guard_stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return NULL;
    stack_t alternate = {.ss_sp = stack, .ss_size = guard_stack_size, .ss_flags = 0};
    if (sigaltstack(&alternate, NULL) != 0) {
        int saved = errno;
        munmap(stack, guard_stack_size);
        errno = saved;
        return NULL;
    }
    return stack;
}

void edge_guard_free_stack(void *stack) {
    if (stack) munmap(stack, guard_stack_size);
}

void edge_guard_forget_thread(void) {
    stack_t disabled = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    sigaltstack(&disabled, NULL);
}

void edge_guard_enter(uint64_t slot, uint64_t generation, uint64_t token) {
    guard_slot = slot;
    guard_generation = generation;
    guard_token = token;
    atomic_signal_fence(memory_order_seq_cst);
    guard_active = 1;
}

void edge_guard_leave(void) {
    guard_active = 0;
    atomic_signal_fence(memory_order_seq_cst);
}

int edge_guard_join_thread(pthread_t thread, int milliseconds) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += milliseconds / 1000;
    deadline.tv_nsec += (long)(milliseconds % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    return pthread_timedjoin_np(thread, NULL, &deadline);
}
#endif
