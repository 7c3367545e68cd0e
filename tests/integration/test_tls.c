/*
 * HTTPS: a self-signed certificate made at test time (RSA: the key that also
 * allows suites without forward secrecy, which the server must not choose);
 * TLS 1.2 or newer only, and on 1.2 only ECDHE with AEAD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;
static char cert_env[400], key_env[400];

static void start(void)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/var/tmp/tls-XXXXXX", ALLIANCE_SOURCE_DIR);
    system("mkdir -p " ALLIANCE_SOURCE_DIR "/var/tmp");
    cr_assert(mkdtemp(dir) != NULL);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes "
             "-days 1 -subj /CN=127.0.0.1 -keyout %s/key.pem -out %s/cert.pem 2>/dev/null",
             dir, dir);
    cr_assert_eq(system(cmd), 0, "openssl could not make a certificate");
    snprintf(cert_env, sizeof(cert_env), "ALLIANCE_TLS_CERT=%s/cert.pem", dir);
    snprintf(key_env, sizeof(key_env), "ALLIANCE_TLS_KEY=%s/key.pem", dir);
    const char *const env[] = {cert_env, key_env, NULL};
    server_start(&srv, env, NULL);
    cr_assert(srv.tls);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(tls, .init = start, .fini = stop, .timeout = 60);

Test(tls, https_health_and_tenant_creation)
{
    response r = http(&srv, "GET", "/healthz", NULL, NULL);
    cr_expect_eq(r.status, 200);
    response_free(&r);
    char id[64], key[128], path[128];
    unique_id(id, sizeof(id), "tls");
    make_tenant(&srv, id, key, sizeof(key));
    snprintf(path, sizeof(path), "/v1/tenants/%s", id);
    r = http(&srv, "GET", path, key, NULL);
    cr_expect_eq(r.status, 200);
    response_free(&r);
    r = http(&srv, "GET", "/nowhere", NULL, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
}

Test(tls, negotiates_tls_1_2_or_newer)
{
    conn c;
    cr_assert_eq(conn_open_tls(&c, srv.port, 0, 0), 0);
    cr_expect_geq(SSL_version(c.ssl), TLS1_2_VERSION);
    conn_close(&c);
    cr_assert_eq(conn_open_tls(&c, srv.port, TLS1_2_VERSION, TLS1_2_VERSION), 0,
                 "TLS 1.2 must be accepted");
    response r;
    cr_expect_eq(conn_request(&c, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 200);
    response_free(&r);
    conn_close(&c);
}

Test(tls, refuses_tls_1_1_and_plain_http)
{
    conn c;
    cr_expect_neq(conn_open_tls(&c, srv.port, TLS1_VERSION, TLS1_1_VERSION), 0,
                  "TLS 1.1 must be refused");
    test_server plain = srv;
    plain.tls = false;
    response r = http(&plain, "GET", "/healthz", NULL, NULL);
    cr_expect_neq(r.status, 200, "plain HTTP must not be served on the TLS port");
    response_free(&r);
    r = http(&srv, "GET", "/healthz", NULL, NULL);
    cr_expect_eq(r.status, 200, "still serving TLS");
    response_free(&r);
}

/* Whether a TLS 1.2 handshake offering only these suites succeeds. */
static bool tls12_with(const char *ciphers)
{
    conn c;
    if (conn_open_tls_ciphers(&c, srv.port, TLS1_2_VERSION, TLS1_2_VERSION, ciphers) != 0)
        return false;
    response r;
    bool ok = conn_request(&c, "GET", "/healthz", NULL, NULL, 0, &r) == 0 && r.status == 200;
    response_free(&r);
    conn_close(&c);
    return ok;
}

Test(tls, on_tls_1_2_only_ecdhe_with_aead)
{
    cr_expect(tls12_with("ECDHE-RSA-AES128-GCM-SHA256"));
    cr_expect(tls12_with("ECDHE-RSA-AES256-GCM-SHA384"));
    cr_expect(tls12_with("ECDHE-RSA-CHACHA20-POLY1305"));
    /* No forward secrecy (RSA key exchange), even with AEAD. */
    cr_expect_not(tls12_with("AES128-GCM-SHA256"), "RSA key exchange accepted");
    cr_expect_not(tls12_with("AES256-SHA256"), "RSA key exchange accepted");
    /* Forward secrecy but CBC, and finite-field DHE. */
    cr_expect_not(tls12_with("ECDHE-RSA-AES128-SHA"), "CBC accepted");
    cr_expect_not(tls12_with("ECDHE-RSA-AES256-SHA384"), "CBC accepted");
    cr_expect_not(tls12_with("DHE-RSA-AES128-GCM-SHA256"), "DHE accepted");
    /* TLS 1.3's suites are all AEAD with forward secrecy: it stays. */
    conn c;
    cr_assert_eq(conn_open_tls(&c, srv.port, TLS1_3_VERSION, TLS1_3_VERSION), 0);
    conn_close(&c);
}
