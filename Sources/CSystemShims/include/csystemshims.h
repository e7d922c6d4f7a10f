// Wrappers for Linux interfaces that Glibc's Swift module lacks or that Swift cannot import. Each says why.
#ifndef CSYSTEMSHIMS_H
#define CSYSTEMSHIMS_H

#include <stdint.h>

// epoll: Glibc's Swift module does not include <sys/epoll.h>, and struct epoll_event is packed on x86_64;
// these take and give a plain struct instead.
typedef struct { uint32_t events; uint64_t data; } cshim_epoll_event;
int cshim_epoll_create(void);
int cshim_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int cshim_epoll_wait(int epfd, cshim_epoll_event *events, int max_events, int timeout_ms);
extern const int CSHIM_EPOLL_CTL_ADD, CSHIM_EPOLL_CTL_MOD, CSHIM_EPOLL_CTL_DEL;
extern const uint32_t CSHIM_EPOLLIN, CSHIM_EPOLLOUT, CSHIM_EPOLLRDHUP, CSHIM_EPOLLHUP, CSHIM_EPOLLERR;

// signalfd: not in Glibc's Swift module; signal sets are macros-and-struct territory. Blocks `signals` for the
// calling thread (and threads it starts later) and returns a non-blocking signalfd reporting them, or -1.
int cshim_signalfd_open(const int *signals, int count);
// The number of one pending signal read from `fd`, 0 when none is pending, -1 on error.
int cshim_signalfd_read(int fd);

#endif
