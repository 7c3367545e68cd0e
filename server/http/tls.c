/* TLS set-up; see tls.h. */
#include "http/tls.h"

#include <stdio.h>

#include <openssl/err.h>

#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static void last_error(char err[256], const char *what, const char *file)
{
    char detail[200];
    ERR_error_string_n(ERR_get_error(), detail, sizeof(detail));
    snprintf(err, 256, "tls: %s %s: %s", what, file, detail);
}

SSL_CTX *al_tls_context(const char *cert_file, const char *key_file, char err[256])
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        last_error(err, "cannot create a context", "");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /*
     * TLS 1.2: forward secrecy (ECDHE) and authenticated encryption (GCM,
     * ChaCha20-Poly1305) only. TLS 1.3's suites all are both; they stay.
     */
    if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
        last_error(err, "cannot set the cipher suites", "");
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        last_error(err, "cannot load certificate", cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        last_error(err, "cannot load key", key_file);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        last_error(err, "key does not match certificate", key_file);
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}
