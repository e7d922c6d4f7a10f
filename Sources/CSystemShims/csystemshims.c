#include "csystemshims.h"
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <signal.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

int cshim_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cshim_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event = { .events = events, .data.u64 = data };
    return epoll_ctl(epfd, op, fd, &event);
}

int cshim_epoll_wait(int epfd, cshim_epoll_event *events, int max_events, int timeout_ms) {
    struct epoll_event raw[256];
    if (max_events > 256) max_events = 256;
    int count = epoll_wait(epfd, raw, max_events, timeout_ms);
    for (int i = 0; i < count; i++) {
        events[i].events = raw[i].events;
        events[i].data = raw[i].data.u64;
    }
    return count;
}

const int CSHIM_EPOLL_CTL_ADD = EPOLL_CTL_ADD, CSHIM_EPOLL_CTL_MOD = EPOLL_CTL_MOD, CSHIM_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
const uint32_t CSHIM_EPOLLIN = EPOLLIN, CSHIM_EPOLLOUT = EPOLLOUT, CSHIM_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t CSHIM_EPOLLHUP = EPOLLHUP, CSHIM_EPOLLERR = EPOLLERR;

int cshim_signalfd_open(const int *signals, int count) {
    sigset_t mask;
    sigemptyset(&mask);
    for (int i = 0; i < count; i++) sigaddset(&mask, signals[i]);
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int cshim_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t count;
    do {
        count = read(fd, &info, sizeof info);
    } while (count < 0 && errno == EINTR);
    if (count == (ssize_t)sizeof info) return (int)info.ssi_signo;
    return count < 0 && errno == EAGAIN ? 0 : -1;
}
