// Signal plumbing for `edge-dev serve`'s two processes (see Sources/edge-dev/Supervisor.swift).
#define _GNU_SOURCE
#include "CSystem.h"

#ifdef __linux__
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>

static atomic_int forward_target = 0;
static atomic_int first_stop_signal = 0;

static void forward(int signal) {
    int expected = 0;
    atomic_compare_exchange_strong(&first_stop_signal, &expected, signal);
    int child = atomic_load(&forward_target);
    if (child > 0) kill(child, signal);
}

void edge_supervisor_forward_signals(int child) {
    atomic_store(&forward_target, child);
    static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = forward;
        action.sa_flags = SA_RESTART;
        sigemptyset(&action.sa_mask);
        sigaction(signals[i], &action, NULL);
    }
}

int edge_supervisor_stop_signal(void) { return atomic_load(&first_stop_signal); }

int edge_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0) == 0 ? 0 : errno;
}
#endif
