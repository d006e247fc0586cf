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
#endif

#endif
