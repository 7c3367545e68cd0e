/* TLS for the listener: OpenSSL behind libevent's bufferevent_openssl. */
#ifndef AL_TLS_H
#define AL_TLS_H

#include <event2/bufferevent.h>
#include <openssl/ssl.h>

/* A server context for TLS 1.2 or newer from PEM files; NULL and err on failure. */
SSL_CTX *al_tls_context(const char *cert_file, const char *key_file, char err[256]);

/* evhttp's bufferevent callback: a TLS bufferevent for each new connection. */
struct bufferevent *al_tls_bufferevent(struct event_base *base, void *ctx);

#endif
