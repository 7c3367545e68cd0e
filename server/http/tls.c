/* TLS set-up; see tls.h. */
#include "http/tls.h"

#include <stdio.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

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

struct bufferevent *al_tls_bufferevent(struct event_base *base, void *ctx)
{
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL)
        return NULL;
    /* evhttp sets the socket afterwards; the bufferevent owns ssl from here. */
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}
