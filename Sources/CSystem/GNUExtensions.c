// Wrappers for GNU extensions that Swift's Glibc module hides (it is built without _GNU_SOURCE).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "CSystem.h"

int edge_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int edge_available_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
}
