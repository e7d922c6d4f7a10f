// Wrappers for C macros and variadics that Swift cannot import. Each says why it exists.
#ifndef CSHIMS_H
#define CSHIMS_H

#include <openssl/ssl.h>
#include <jansson.h>
#include <stdint.h>

// SSL_CTX_set_min_proto_version is a function-like macro.
int cshim_ssl_ctx_set_min_tls12(SSL_CTX *ctx);
// SSL_set_tlsext_host_name is a function-like macro (SNI).
long cshim_ssl_set_sni(SSL *ssl, const char *host_name);
// SSL_CTX_set_mode is a function-like macro; we need partial writes and moving buffers.
long cshim_ssl_ctx_set_nonblocking_modes(SSL_CTX *ctx);
// SSL_OP_* constants are built with SSL_OP_BIT(n), which Swift cannot evaluate.
extern const uint64_t CSHIM_SSL_OP_NO_COMPRESSION;
extern const uint64_t CSHIM_SSL_OP_NO_RENEGOTIATION;
// A peer that closes TCP without close_notify is end of stream, not an error (WebSocket closes on its own).
extern const uint64_t CSHIM_SSL_OP_IGNORE_UNEXPECTED_EOF;

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

// json_boolean is a function-like macro.
json_t *cshim_json_boolean(int value);

#endif
