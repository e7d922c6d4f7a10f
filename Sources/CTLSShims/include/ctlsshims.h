// Wrappers for OpenSSL macros that Swift cannot import. Each says why it exists.
#ifndef CTLSSHIMS_H
#define CTLSSHIMS_H

#include <openssl/ssl.h>
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

#endif
