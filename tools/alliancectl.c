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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

/* What one request brought back. */
typedef struct {
    char *body;
    size_t len;
    char signature[200]; /* the X-Alliance-Signature header's value, or "" */
    bool failed;         /* out of memory */
} answer_t;

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

static size_t take_body(char *data, size_t size, size_t n, void *arg)
{
    answer_t *a = arg;
    size_t more = size * n;
    char *nb = realloc(a->body, a->len + more + 1);
    if (nb == NULL) {
        a->failed = true;
        return 0; /* curl stops */
    }
    a->body = nb;
    memcpy(a->body + a->len, data, more);
    a->len += more;
    a->body[a->len] = '\0';
    return more;
}

static size_t take_header(char *data, size_t size, size_t n, void *arg)
{
    answer_t *a = arg;
    size_t len = size * n;
    static const char name[] = "X-Alliance-Signature:";
    if (len > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        size_t v = len - (sizeof(name) - 1);
        while (v > 0 &&
               (data[sizeof(name) - 1 + v - 1] == '\r' || data[sizeof(name) - 1 + v - 1] == '\n'))
            v--;
        snprintf(a->signature, sizeof(a->signature), "%.*s", (int)v, data + sizeof(name) - 1);
    }
    return len;
}

/* One request with libcurl: *status the HTTP status (0: no answer), a the answer. */
static int request(const char *url, const char *key, int insecure, const char *method,
                   const char *path, const char *body, long *status, answer_t *a)
{
    *status = 0;
    CURL *c = curl_easy_init();
    if (c == NULL)
        return -1;
    char *full = NULL, *auth = NULL;
    struct curl_slist *headers = NULL;
    int rc = -1;
    if (asprintf(&full, "%s%s", url, path) < 0 ||
        asprintf(&auth, "Authorization: Bearer %s", key) < 0)
        goto done;
    headers = curl_slist_append(headers, auth);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    if (strcmp(method, "GET") == 0)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, take_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L); /* a statement over a big month takes a while */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode res = curl_easy_perform(c);
    if (res != CURLE_OK) {
        fprintf(stderr, "alliancectl: %s\n", curl_easy_strerror(res));
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    rc = a->failed ? -1 : 0;
done:
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    free(full);
    free(auth);
    return rc;
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
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        fprintf(stderr, "alliancectl: the URL must start with http:// or https://\n");
        return usage();
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    answer_t a = {0};
    long status = 0;
    int rc = request(url, key, insecure, method, path, body[0] ? body : NULL, &status, &a);
    curl_global_cleanup();
    if (rc != 0 || status == 0) {
        fprintf(stderr, "alliancectl: no answer from %s\n", url);
        free(a.body);
        return 1;
    }
    if (a.signature[0] != '\0')
        fprintf(stderr, "signature:%s\n", a.signature);
    const char *text = a.body ? a.body : "";
    FILE *to = status >= 200 && status < 300 ? stdout : stderr;
    fputs(text, to);
    if (text[0] != '\0' && text[strlen(text) - 1] != '\n')
        fputc('\n', to);
    free(a.body);
    return to == stdout ? 0 : 1;
}
