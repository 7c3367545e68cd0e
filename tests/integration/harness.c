/* Integration test harness; see harness.h. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

extern char **environ;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *test_db(void)
{
    const char *db = getenv("ALLIANCE_TEST_DB");
    cr_assert(db != NULL, "ALLIANCE_TEST_DB is not set: run the tests with `make test`");
    return db;
}

static pid_t spawn(const char *const *env, const char *const *args, const char *port_file,
                   const char *log_path)
{
    const char *db =
        test_db(); /* checked here: a failed assert in the child would confuse Criterion */
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    setenv("ALLIANCE_DB", db, 1);
    setenv("ALLIANCE_OPERATOR_TOKEN", OPERATOR_TOKEN, 1);
    setenv("ALLIANCE_LISTEN", "127.0.0.1:0", 1);
    setenv("ALLIANCE_THREADS", "2", 1);
    setenv("ALLIANCE_SCHEMA_DIR", ALLIANCE_SOURCE_DIR "/schema", 1);
    setenv("ALLIANCE_MASTER_KEY", MASTER_KEY, 1);
    setenv("ALLIANCE_SETTLEMENT_KEY", MASTER_KEY, 1); /* any 32 bytes: an Ed25519 seed */
    setenv("ALLIANCE_EXPIRY_SWEEP_S", "0", 1); /* tests drive expiry; test_sweeper.c turns it on */
    setenv("ALLIANCE_PLUGIN_DIR", ALLIANCE_PLUGIN_BUILD_DIR, 1);
    for (; env != NULL && *env != NULL; env++)
        putenv((char *)*env);                            /* glibc: "NAME" without "=" unsets it */
    const char *nofile = getenv("ALLIANCE_TEST_NOFILE"); /* a descriptor limit, soft and hard */
    if (nofile != NULL) {
        struct rlimit rl = {(rlim_t)atol(nofile), (rlim_t)atol(nofile)};
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const char *argv[32] = {ALLIANCE_BIN};
    int n = 1;
    if (port_file != NULL) {
        argv[n++] = "--port-file";
        argv[n++] = port_file;
    }
    for (; args != NULL && *args != NULL && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    execv(ALLIANCE_BIN, (char *const *)argv);
    _exit(127);
}

static void make_dir(char *dir, size_t size)
{
    const char *base = ALLIANCE_SOURCE_DIR "/var/tmp";
    mkdir(ALLIANCE_SOURCE_DIR "/var", 0755);
    mkdir(base, 0755);
    snprintf(dir, size, "%s/srv-XXXXXX", base);
    cr_assert(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
}

void server_start(test_server *s, const char *const *env, const char *const *args)
{
    memset(s, 0, sizeof(*s));
    make_dir(s->dir, sizeof(s->dir));
    char port_file[300];
    snprintf(port_file, sizeof(port_file), "%s/port", s->dir);
    snprintf(s->log_path, sizeof(s->log_path), "%s/server.log", s->dir);
    for (const char *const *e = env; e != NULL && *e != NULL; e++)
        if (strncmp(*e, "ALLIANCE_TLS_CERT=", 18) == 0 && (*e)[18] != '\0')
            s->tls = true;
    s->pid = spawn(env, args, port_file, s->log_path);
    cr_assert(s->pid > 0, "fork failed");
    for (int i = 0; i < 400; i++) {
        FILE *f = fopen(port_file, "r");
        if (f != NULL) {
            int ok = fscanf(f, "%d", &s->port);
            fclose(f);
            if (ok == 1 && s->port > 0)
                return;
        }
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid)
            cr_assert_fail("allianced exited during start-up; see %s", s->log_path);
        sleep_ms(50);
    }
    kill(s->pid, SIGKILL);
    cr_assert_fail("allianced did not listen within 20 s; see %s", s->log_path);
}

int server_stop(test_server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 600; i++) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        sleep_ms(50);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
    return 255;
}

void server_finish(test_server *s)
{
    if (s->pid <= 0)
        return;
    int code = server_stop(s);
    if (code == 0)
        return;
    fprintf(stderr, "allianced exited %d; its log %s:\n", code, s->log_path);
    FILE *f = fopen(s->log_path, "r");
    char line[1024];
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, "\"level\":\"info\"") == NULL)
            fputs(line, stderr);
    if (f != NULL)
        fclose(f);
    exit(1);
}

int run_binary(const char *const *env, const char *const *args, char *out, size_t out_size)
{
    char dir[256], log_path[300];
    make_dir(dir, sizeof(dir));
    snprintf(log_path, sizeof(log_path), "%s/out.log", dir);
    pid_t pid = spawn(env, args, NULL, log_path);
    int status = 0;
    waitpid(pid, &status, 0);
    FILE *f = fopen(log_path, "r");
    size_t n = f ? fread(out, 1, out_size - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- client ---- */

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    if (rc != 0 && errno == EINTR) { /* the test process gets SIGCHLD from its own children */
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t len = sizeof(err);
        while (poll(&pfd, 1, 15000) < 0 && errno == EINTR)
            ;
        rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 ? 0 : -1;
    }
    if (rc != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct timeval tv = {15, 0}; /* no test waits forever on a reply */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

int conn_open_tls(conn *c, int port, int min_version, int max_version)
{
    return conn_open_tls_ciphers(c, port, min_version, max_version, NULL);
}

int conn_open_tls_ciphers(conn *c, int port, int min_version, int max_version, const char *ciphers)
{
    memset(c, 0, sizeof(*c));
    c->fd = tcp_connect(port);
    if (c->fd < 0)
        return -1;
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (min_version)
        SSL_CTX_set_min_proto_version(c->ctx, min_version);
    if (max_version)
        SSL_CTX_set_max_proto_version(c->ctx, max_version);
    SSL_CTX_set_security_level(c->ctx, 0); /* let the test offer old versions */
    if (ciphers != NULL && SSL_CTX_set_cipher_list(c->ctx, ciphers) != 1) {
        ERR_clear_error();
        conn_close(c);
        return -1;
    }
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    if (SSL_connect(c->ssl) != 1) {
        ERR_clear_error();
        conn_close(c);
        return -1;
    }
    return 0;
}

int conn_open(conn *c, const test_server *s)
{
    if (s->tls)
        return conn_open_tls(c, s->port, 0, 0);
    memset(c, 0, sizeof(*c));
    c->fd = tcp_connect(s->port);
    return c->fd < 0 ? -1 : 0;
}

void conn_close(conn *c)
{
    if (c->ssl != NULL) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->ctx != NULL)
        SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

int conn_send(conn *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n =
            c->ssl ? SSL_write(c->ssl, data, (int)len) : send(c->fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static ssize_t conn_recv(conn *c, char *buf, size_t size)
{
    if (c->ssl != NULL) {
        int n = SSL_read(c->ssl, buf, (int)size);
        return n > 0 ? n : 0;
    }
    ssize_t n;
    while ((n = recv(c->fd, buf, size, 0)) < 0 && errno == EINTR)
        ;
    return n;
}

int conn_read_response(conn *c, response *r)
{
    memset(r, 0, sizeof(*r));
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    char *body_start = NULL;
    long content_length = -1;
    for (;;) {
        if (body_start != NULL && content_length >= 0 &&
            len - (size_t)(body_start - buf) >= (size_t)content_length)
            break;
        if (len + 4096 > cap) {
            size_t off = body_start ? (size_t)(body_start - buf) : 0;
            cap *= 2;
            buf = realloc(buf, cap);
            if (body_start)
                body_start = buf + off;
        }
        ssize_t n = conn_recv(c, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (body_start == NULL) {
            char *end = strstr(buf, "\r\n\r\n");
            if (end == NULL)
                continue;
            body_start = end + 4;
            size_t hl = (size_t)(end - buf);
            if (hl >= sizeof(r->headers))
                hl = sizeof(r->headers) - 1;
            memcpy(r->headers, buf, hl);
            r->headers[hl] = '\0';
            char cl[32];
            if (response_header(r, "Content-Length", cl, sizeof(cl)))
                content_length = atol(cl);
        }
    }
    if (body_start == NULL || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        free(buf);
        r->status = 0;
        return -1;
    }
    size_t have = len - (size_t)(body_start - buf);
    r->body_len =
        content_length >= 0 && (size_t)content_length < have ? (size_t)content_length : have;
    r->body = malloc(r->body_len + 1);
    memcpy(r->body, body_start, r->body_len);
    r->body[r->body_len] = '\0';
    free(buf);
    r->json = json_loadb(r->body, r->body_len, 0, NULL);
    return 0;
}

/* Bodies past this are recorded without their text (the check then reads the status only). */
#define RECORD_BODY_MAX (1024 * 1024)

/*
 * With ALLIANCE_TEST_RECORD set (a file), every answer a test receives is
 * appended there as one JSON line, for the OpenAPI check (tests/openapi/):
 * {"method","path","status","content_type","body"}. Test processes run side
 * by side: each line goes in under an exclusive lock.
 */
static void record(const char *method, const char *path, const response *r)
{
    const char *file = getenv("ALLIANCE_TEST_RECORD");
    if (file == NULL || file[0] == '\0' || r->status == 0)
        return;
    char ct[128] = "";
    response_header(r, "Content-Type", ct, sizeof(ct));
    json_t *body = r->body != NULL && r->body_len <= RECORD_BODY_MAX
                       ? json_stringn(r->body, r->body_len)
                       : NULL;
    json_t *line = json_pack("{s:s,s:s,s:i,s:s,s:o}", "method", method, "path", path, "status",
                             r->status, "content_type", ct, "body", body ? body : json_null());
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    json_decref(line);
    int fd = text ? open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    if (fd >= 0 && flock(fd, LOCK_EX) == 0) {
        size_t len = strlen(text);
        text[len] = '\n'; /* the NUL's place: one write of the whole line */
        ssize_t w = write(fd, text, len + 1);
        (void)w;
    }
    if (fd >= 0)
        close(fd);
    free(text);
}

int conn_request(conn *c, const char *method, const char *path, const char *headers,
                 const char *body, size_t body_len, response *r)
{
    char head[8192];
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: %zu\r\n\r\n", method,
                     path, headers ? headers : "", body_len);
    if (conn_send(c, head, (size_t)n) != 0 || (body_len && conn_send(c, body, body_len) != 0))
        return -1;
    int rc = conn_read_response(c, r);
    record(method, path, r);
    return rc;
}

response http(const test_server *s, const char *method, const char *path, const char *token,
              const char *body)
{
    response r = {0};
    conn c;
    if (conn_open(&c, s) != 0)
        return r;
    char headers[512] = "Connection: close\r\n";
    if (token != NULL)
        snprintf(headers, sizeof(headers), "Connection: close\r\nAuthorization: Bearer %s\r\n",
                 token);
    conn_request(&c, method, path, headers, body, body ? strlen(body) : 0, &r);
    conn_close(&c);
    return r;
}

void response_free(response *r)
{
    free(r->body);
    if (r->json)
        json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

bool response_header(const response *r, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    for (const char *line = strstr(r->headers, "\r\n"); line != NULL;
         line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
            h += nl + 1;
            while (*h == ' ')
                h++;
            size_t vl = strcspn(h, "\r\n");
            if (vl >= size)
                vl = size - 1;
            memcpy(out, h, vl);
            out[vl] = '\0';
            return true;
        }
    }
    return false;
}

void expect_error(const response *r, int status, const char *code)
{
    cr_expect_eq(r->status, status, "status %d, expected %d; body %s", r->status, status,
                 r->body ? r->body : "(none)");
    json_t *err = r->json ? json_object_get(r->json, "error") : NULL;
    cr_assert(json_is_object(err), "no error envelope in %s", r->body ? r->body : "(none)");
    cr_expect_str_eq(json_string_value(json_object_get(err, "code")), code, "body %s", r->body);
    cr_expect(json_is_string(json_object_get(err, "message")), "no message in %s", r->body);
}

void unique_id(char *out, size_t size, const char *prefix)
{
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, size, "%s-%d-%ld-%u", prefix, (int)getpid(), ts.tv_nsec, ++counter);
}

void make_tenant(const test_server *s, const char *id, char *key, size_t key_size)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Tenant %s\"}", id, id);
    response r = http(s, "POST", "/v1/tenants", OPERATOR_TOKEN, body);
    cr_assert_eq(r.status, 201, "create tenant: %d %s", r.status, r.body ? r.body : "");
    const char *k = json_string_value(json_object_get(r.json, "admin_key"));
    cr_assert(k != NULL);
    snprintf(key, key_size, "%s", k);
    response_free(&r);
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", in[i]);
    out[2 * n] = '\0';
}

void partner_sign(const partner_key *k, const char *method, const char *path, const char *body,
                  long ts, char sig[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char body_hash[65], msg[4096];
    EVP_Digest(body, strlen(body), md, &mdlen, EVP_sha256(), NULL);
    hex(md, 32, body_hash);
    snprintf(msg, sizeof(msg), "%s\n%s\n%ld\n%s", method, path, ts, body_hash);
    HMAC(EVP_sha256(), k->secret, (int)strlen(k->secret), (const unsigned char *)msg, strlen(msg),
         md, &mdlen);
    hex(md, 32, sig);
}

response partner_call(const test_server *s, const partner_key *k, const char *method,
                      const char *path, const char *body, long ts, const char *bad_signature)
{
    if (ts == 0)
        ts = (long)time(NULL);
    if (body == NULL)
        body = "";
    char sig[65], headers[1024];
    partner_sign(k, method, path, body, ts, sig);
    snprintf(headers, sizeof(headers),
             "Connection: close\r\nX-Alliance-Key: %s\r\nX-Alliance-Timestamp: %ld\r\n"
             "X-Alliance-Signature: %s\r\n",
             k->key_id, ts, bad_signature ? bad_signature : sig);
    response r = {0};
    conn c;
    if (conn_open(&c, s) != 0)
        return r;
    conn_request(&c, method, path, headers, body, strlen(body), &r);
    conn_close(&c);
    return r;
}

void make_partner(const test_server *s, const char *admin_key, const char *id, const char *plugin,
                  const char *config_json, partner_key *k)
{
    char body[4096];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"name\":\"Partner %s\",\"plugin\":\"%s\",\"config\":%s,"
             "\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":800,"
             "\"redeem_minor_per_1000\":600}}",
             id, id, plugin, config_json);
    response r = http(s, "POST", "/v1/partners", admin_key, body);
    cr_assert_eq(r.status, 201, "create partner: %d %s", r.status, r.body ? r.body : "");
    snprintf(k->key_id, sizeof(k->key_id), "%s",
             json_string_value(json_object_get(r.json, "key_id")));
    snprintf(k->secret, sizeof(k->secret), "%s",
             json_string_value(json_object_get(r.json, "secret")));
    response_free(&r);
}

int socket_scalar(const char *socket, const char *database, const char *sql, char *out, size_t size)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "mariadb --no-defaults -N -B --socket='%s' -ualliance -palliance %s -e \"%s\" "
             "2>/dev/null",
             socket, database, sql);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    out[strcspn(out, "\t\n")] = '\0';
    return pclose(p) == 0 ? 0 : -1;
}

int db_scalar(const char *sql, char *out, size_t size)
{
    const char *sock = getenv("ALLIANCE_TEST_DB_SOCKET");
    cr_assert(sock != NULL, "ALLIANCE_TEST_DB_SOCKET is not set");
    return socket_scalar(sock, "alliance_test", sql, out, size);
}

bool log_has_line(const test_server *s, const char *const *needles)
{
    FILE *f = fopen(s->log_path, "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        found = true;
        for (const char *const *n = needles; *n != NULL; n++)
            if (strstr(line, *n) == NULL)
                found = false;
    }
    fclose(f);
    return found;
}

int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int response_worker(const response *r)
{
    char id[80];
    unsigned boot;
    int worker = -1;
    if (response_header(r, "X-Request-Id", id, sizeof(id)) &&
        sscanf(id, "%x-%d-", &boot, &worker) == 2)
        return worker;
    return -1;
}

double process_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* fields 14 and 15 (utime, stime) follow the name */
    unsigned long utime = 0, stime = 0;
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

int count_log_lines(const test_server *s, const char *needle)
{
    FILE *f = fopen(s->log_path, "r");
    char line[4096];
    int n = 0;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    if (f != NULL)
        fclose(f);
    return n;
}

int server_term(test_server *s, int64_t *took_ms)
{
    int64_t t0 = now_ms();
    int status = 0;
    kill(s->pid, SIGTERM);
    while (waitpid(s->pid, &status, WNOHANG) == 0 && now_ms() - t0 < 30000)
        sleep_ms(10);
    *took_ms = now_ms() - t0;
    if (now_ms() - t0 >= 30000) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
    }
    s->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void earn_purchase(const test_server *s, const partner_key *k, const char *id, const char *member,
                   int amount_minor)
{
    char body[300];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"member\":\"%s\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":%d,\"currency\":\"CNY\",\"mcc\":\"5999\"}}",
             id, member, amount_minor);
    response r = partner_call(s, k, "POST", "/v1/transactions", body, 0, NULL);
    cr_assert_eq(r.status, 201, "%s: %s", body, r.body);
    response_free(&r);
}
