/*
 * Integration test harness: starts the real allianced binary on 127.0.0.1,
 * port 0, against the test database, and speaks HTTP or HTTPS to it over
 * plain sockets, so the tests see exactly what a client sees.
 */
#ifndef AL_TEST_HARNESS_H
#define AL_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/ssl.h>

#define OPERATOR_TOKEN "test-operator-token-0123456789abcdef"
#define MASTER_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

typedef struct {
    pid_t pid;
    int port;
    bool tls;
    char dir[256];      /* scratch folder of this server */
    char log_path[300]; /* its stderr */
} test_server;

/*
 * Starts a server with extra environment ("NAME=value", or "NAME" to unset;
 * NULL-ended, may be NULL) and extra arguments (NULL-ended, may be NULL). Fails the test when it
 * does not listen within 20 s.
 */
void server_start(test_server *s, const char *const *env, const char *const *args);

/* SIGTERM, then waits; returns the exit status (or 128+signal). */
int server_stop(test_server *s);

/*
 * For a suite's .fini: stops the server when still running and, unless it
 * exited 0 (a sanitizer report makes it non-zero), prints its log and exits
 * the test process with 1. Criterion ignores assertions in .fini; an exit
 * there fails the run.
 */
void server_finish(test_server *s);

/* Runs the binary to completion (for --help, bad config...); output to *out. */
int run_binary(const char *const *env, const char *const *args, char *out, size_t out_size);

typedef struct {
    int status; /* 0: no response */
    char headers[4096];
    char *body; /* NUL-terminated; free with response_free */
    size_t body_len;
    json_t *json; /* the body parsed, when it is JSON */
} response;

/* One connection, plain or TLS, for several requests (keep-alive). */
typedef struct {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
} conn;

int conn_open(conn *c, const test_server *s);
/* TLS with the protocol versions given (0: library default). */
int conn_open_tls(conn *c, int port, int min_version, int max_version);
/* The same, offering only the TLS 1.2 cipher suites listed (OpenSSL's names). */
int conn_open_tls_ciphers(conn *c, int port, int min_version, int max_version, const char *ciphers);
/* Sends raw bytes. */
int conn_send(conn *c, const char *data, size_t len);
/* One request; headers is "Name: value\r\n..." or NULL. */
int conn_request(conn *c, const char *method, const char *path, const char *headers,
                 const char *body, size_t body_len, response *r);
/* Reads one response. */
int conn_read_response(conn *c, response *r);
void conn_close(conn *c);

/* Opens, requests with a bearer token (may be NULL) and JSON body (may be NULL), closes. */
response http(const test_server *s, const char *method, const char *path, const char *token,
              const char *body);
void response_free(response *r);

/* The value of a response header, copied into out; false when absent. */
bool response_header(const response *r, const char *name, char *out, size_t size);

/* Checks r is an error envelope with status and code. */
void expect_error(const response *r, int status, const char *code);

/* A fresh id with prefix, unique across test processes. */
void unique_id(char *out, size_t size, const char *prefix);

/* Creates a tenant with the operator token; returns its admin key in key. */
void make_tenant(const test_server *s, const char *id, char *key, size_t key_size);

/* A partner's signing key. */
typedef struct {
    char key_id[64];
    char secret[80];
} partner_key;

/*
 * A signed partner request. ts 0 means now; a non-NULL bad_signature is sent
 * instead of the real one.
 */
response partner_call(const test_server *s, const partner_key *k, const char *method,
                      const char *path, const char *body, long ts, const char *bad_signature);

/* The signature of a request as the README says (ts in Unix seconds). */
void partner_sign(const partner_key *k, const char *method, const char *path, const char *body,
                  long ts, char sig[65]);

/* Creates a partner with the admin key; returns its signing key. */
void make_partner(const test_server *s, const char *admin_key, const char *id, const char *plugin,
                  const char *config_json, partner_key *k);

/* The first value of sql on the MariaDB at socket, database database (as the application user). */
int socket_scalar(const char *socket, const char *database, const char *sql, char *out,
                  size_t size);

/*
 * A purchase of amount_minor (CNY, mcc 5999) by member through partner k's
 * signed POST /v1/transactions, id its id; asserts 201.
 */
void earn_purchase(const test_server *s, const partner_key *k, const char *id, const char *member,
                   int amount_minor);

/* Runs SQL on the test database through the mariadb client; first cell of output. */
int db_scalar(const char *sql, char *out, size_t size);

/* Whether the server's log holds a line containing every one of the NULL-ended needles. */
bool log_has_line(const test_server *s, const char *const *needles);

/* SIGTERM, then waits (30 s at most): the exit status, and how long it took in *took_ms. */
int server_term(test_server *s, int64_t *took_ms);

/* Monotonic milliseconds. */
int64_t now_ms(void);

/* The worker that answered (from the generated X-Request-Id), or -1. */
int response_worker(const response *r);

/* CPU seconds a process has used (user and system), or -1. */
double process_cpu_s(pid_t pid);

/* Lines of the server's log that contain needle. */
int count_log_lines(const test_server *s, const char *needle);

#endif
