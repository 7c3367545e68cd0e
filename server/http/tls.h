/* TLS for the listener: OpenSSL behind libevent's bufferevent_openssl. */
#ifndef AL_TLS_H
#define AL_TLS_H

#include <openssl/ssl.h>

/* A server context for TLS 1.2 or newer from PEM files; NULL and err on failure. */
SSL_CTX *al_tls_context(const char *cert_file, const char *key_file, char err[256]);

#endif
