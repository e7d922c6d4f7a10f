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

// json_boolean is a function-like macro.
json_t *cshim_json_boolean(int value);

#endif
