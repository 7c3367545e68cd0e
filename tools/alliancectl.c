/*
 * alliancectl: the finance team's command line, an HTTP client of the API
 * with a tenant admin key, for scripts and cron jobs.
 *
 *   alliancectl [--url URL] [--key ADMIN_KEY] [--insecure] COMMAND
 *     settlement run START END   draft statement of [START, END) (RFC 3339 UTC)
 *     settlement show ID         the statement (JSON)
 *     settlement close ID        close, number and sign it
 *     settlement csv ID          the statement as CSV
 *     ledger trial-balance       every account's balance and the total
 *
 * URL defaults to $ALLIANCE_URL or http://127.0.0.1:8080; the key to
 * $ALLIANCE_ADMIN_KEY. The answer goes to stdout (an X-Alliance-Signature to
 * stderr); exit 0 on 2xx, 1 on an error answer or no answer, 2 on bad usage.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

typedef struct {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
} link_t;

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: alliancectl [--url URL] [--key ADMIN_KEY] [--insecure] COMMAND\n"
            "\n"
            "  settlement run START END   a draft statement of [START, END) (RFC 3339 UTC)\n"
            "  settlement show ID         a statement (JSON)\n"
            "  settlement csv ID          a statement (CSV)\n"
            "  settlement close ID        reconcile, number and sign it (signature on stderr)\n"
            "  ledger trial-balance       every account's balance and the total\n"
            "\n"
            "  --url URL        the server (ALLIANCE_URL; default http://127.0.0.1:8080)\n"
            "  --key ADMIN_KEY  a tenant admin key (ALLIANCE_ADMIN_KEY)\n"
            "  --insecure       do not verify an https server's certificate\n"
            "  --help           this text\n"
            "\n"
            "Exit 0 on success, 1 on an error answer or no answer, 2 on bad usage.\n");
}

/* Bad usage: the text on stderr, exit 2. */
static int usage(void)
{
    print_usage(stderr);
    return 2;
}

static int open_link(link_t *l, const char *host, const char *port, int tls, int insecure)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    memset(l, 0, sizeof(*l));
    l->fd = -1;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        return -1;
    for (struct addrinfo *a = ai; a != NULL && l->fd < 0; a = a->ai_next) {
        l->fd = socket(a->ai_family, a->ai_socktype, 0);
        if (l->fd >= 0 && connect(l->fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(l->fd);
            l->fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (l->fd < 0 || !tls)
        return l->fd < 0 ? -1 : 0;
    l->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(l->ctx, TLS1_2_VERSION);
    if (!insecure) {
        SSL_CTX_set_default_verify_paths(l->ctx);
        SSL_CTX_set_verify(l->ctx, SSL_VERIFY_PEER, NULL);
    }
    l->ssl = SSL_new(l->ctx);
    SSL_set_fd(l->ssl, l->fd);
    SSL_set_tlsext_host_name(l->ssl, host);
    if (!insecure)
        SSL_set1_host(l->ssl, host);
    return SSL_connect(l->ssl) == 1 ? 0 : -1;
}

static void close_link(link_t *l)
{
    if (l->ssl != NULL) {
        SSL_shutdown(l->ssl);
        SSL_free(l->ssl);
    }
    if (l->ctx != NULL)
        SSL_CTX_free(l->ctx);
    if (l->fd >= 0)
        close(l->fd);
}

static int send_all(link_t *l, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = l->ssl ? SSL_write(l->ssl, data, (int)len) : write(l->fd, data, len);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One request; the whole answer (the connection closes after it) in *out. */
static int request(const char *url, const char *key, int insecure, const char *method,
                   const char *path, const char *body, char **out, size_t *out_len)
{
    char host[256], port[8];
    int tls = strncmp(url, "https://", 8) == 0;
    if (!tls && strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + (tls ? 8 : 7);
    size_t hl = strcspn(h, ":/");
    if (hl == 0 || hl >= sizeof(host))
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, sizeof(port), "%s", tls ? "443" : "80");
    if (h[hl] == ':')
        snprintf(port, sizeof(port), "%.*s", (int)strcspn(h + hl + 1, "/"), h + hl + 1);
    link_t l;
    if (open_link(&l, host, port, tls, insecure) != 0) {
        close_link(&l);
        return -1;
    }
    char *head = NULL;
    int n = asprintf(&head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     method, path, host, key, body ? strlen(body) : 0);
    int rc = n < 0 || send_all(&l, head, (size_t)n) != 0 ||
                     (body && send_all(&l, body, strlen(body)) != 0)
                 ? -1
                 : 0;
    free(head);
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    while (rc == 0 && buf != NULL) {
        if (len + 4096 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (nb == NULL)
                break;
            buf = nb;
        }
        ssize_t got = l.ssl ? SSL_read(l.ssl, buf + len, (int)(cap - len - 1))
                            : read(l.fd, buf + len, cap - len - 1);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close_link(&l);
    if (rc != 0 || buf == NULL) {
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

int main(int argc, char **argv)
{
    const char *url = getenv("ALLIANCE_URL"), *key = getenv("ALLIANCE_ADMIN_KEY");
    int insecure = 0, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            print_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
            url = argv[++i];
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            key = argv[++i];
        else if (strcmp(argv[i], "--insecure") == 0)
            insecure = 1;
        else
            return usage();
    }
    if (url == NULL)
        url = "http://127.0.0.1:8080";
    if (key == NULL || i + 1 >= argc) {
        if (key == NULL)
            fprintf(stderr, "alliancectl: no admin key (--key or ALLIANCE_ADMIN_KEY)\n");
        return usage();
    }
    char path[256], body[256] = "";
    const char *method = "GET", *group = argv[i], *cmd = argv[i + 1];
    if (strcmp(group, "ledger") == 0 && strcmp(cmd, "trial-balance") == 0) {
        snprintf(path, sizeof(path), "/v1/ledger/trial-balance");
    } else if (strcmp(group, "settlement") == 0 && strcmp(cmd, "run") == 0 && i + 3 < argc) {
        method = "POST";
        snprintf(path, sizeof(path), "/v1/settlements");
        snprintf(body, sizeof(body), "{\"period_start\":\"%.40s\",\"period_end\":\"%.40s\"}",
                 argv[i + 2], argv[i + 3]);
    } else if (strcmp(group, "settlement") == 0 && i + 2 < argc &&
               strspn(argv[i + 2], "0123456789") == strlen(argv[i + 2])) {
        const char *id = argv[i + 2];
        if (strcmp(cmd, "show") == 0)
            snprintf(path, sizeof(path), "/v1/settlements/%.20s", id);
        else if (strcmp(cmd, "csv") == 0)
            snprintf(path, sizeof(path), "/v1/settlements/%.20s/statement.csv", id);
        else if (strcmp(cmd, "close") == 0) {
            method = "POST";
            snprintf(path, sizeof(path), "/v1/settlements/%.20s/close", id);
        } else
            return usage();
    } else {
        return usage();
    }
    char *answer = NULL;
    size_t len = 0;
    if (request(url, key, insecure, method, path, body[0] ? body : NULL, &answer, &len) != 0) {
        fprintf(stderr, "alliancectl: no answer from %s\n", url);
        return 1;
    }
    int status = 0;
    char *end = strstr(answer, "\r\n\r\n");
    sscanf(answer, "HTTP/1.%*d %d", &status);
    if (end == NULL || status == 0) {
        fprintf(stderr, "alliancectl: not an HTTP answer\n");
        free(answer);
        return 1;
    }
    *end = '\0';
    for (char *line = strtok(answer, "\r\n"); line != NULL; line = strtok(NULL, "\r\n"))
        if (strncasecmp(line, "X-Alliance-Signature:", 21) == 0)
            fprintf(stderr, "signature:%s\n", line + 21);
    const char *text = end + 4;
    FILE *to = status >= 200 && status < 300 ? stdout : stderr;
    fputs(text, to);
    if (len > 0 && text[0] != '\0' && text[strlen(text) - 1] != '\n')
        fputc('\n', to);
    free(answer);
    return to == stdout ? 0 : 1;
}
