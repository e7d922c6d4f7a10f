#include "ctlsshims.h"

int cshim_ssl_ctx_set_min_tls12(SSL_CTX *ctx) { return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION); }

long cshim_ssl_set_sni(SSL *ssl, const char *host_name) { return SSL_set_tlsext_host_name(ssl, host_name); }

long cshim_ssl_ctx_set_nonblocking_modes(SSL_CTX *ctx) {
    return SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

const uint64_t CSHIM_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
const uint64_t CSHIM_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
const uint64_t CSHIM_SSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;
