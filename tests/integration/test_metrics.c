/*
 * GET /metrics: the operator's only, in the Prometheus text format; every
 * line parses, histograms add up, and what the suite did shows in it.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;

static void start(void)
{
    server_start(&srv, NULL, NULL);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(metrics, .init = start, .fini = stop);

/* The value of the sample whose name and labels are exactly head ("name{...}"), or -1. */
static double sample(const char *text, const char *head)
{
    size_t n = strlen(head);
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (strncmp(line, head, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        if (end == NULL)
            break;
        line = end + 1;
    }
    return -1;
}

/*
 * Every line is a HELP, a TYPE or a sample (a metric name, labels with
 * escaped values, a number); *samples counts the samples.
 */
static void expect_every_line_parses(const char *text, int *samples)
{
    regex_t help, type, line;
    cr_assert_eq(regcomp(&help, "^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$", REG_EXTENDED | REG_NOSUB),
                 0);
    cr_assert_eq(
        regcomp(&type,
                "^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$",
                REG_EXTENDED | REG_NOSUB),
        0);
    cr_assert_eq(
        regcomp(&line,
                "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\.)*\""
                "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\.)*\")*\\})? "
                "(-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|\\+Inf|-Inf|NaN)$",
                REG_EXTENDED | REG_NOSUB),
        0);
    *samples = 0;
    char *copy = strdup(text), *save = NULL;
    int n = 0;
    for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save), n++) {
        bool ok = regexec(&help, l, 0, NULL, 0) == 0 || regexec(&type, l, 0, NULL, 0) == 0;
        if (!ok && regexec(&line, l, 0, NULL, 0) == 0) {
            ok = true;
            (*samples)++;
        }
        cr_expect(ok, "line %d does not parse: %s", n + 1, l);
    }
    free(copy);
    regfree(&help);
    regfree(&type);
    regfree(&line);
    cr_expect(text[strlen(text) - 1] == '\n', "the text ends with a newline");
}

Test(metrics, the_operator_scrapes_what_the_server_did)
{
    char tenant[64], admin[128];
    unique_id(tenant, sizeof(tenant), "met");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    partner_key k;
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &k);
    response r = partner_call(&srv, &k, "POST", "/v1/transactions",
                              "{\"id\":\"t1\",\"member\":\"m1\",\"data\":{\"type\":\"purchase\","
                              "\"amount_minor\":1000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
                              0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions",
                     "{\"id\":\"t2\",\"member\":\"m1\",\"data\":{\"type\":\"purchase\","
                     "\"amount_minor\":1000,\"currency\":\"CNY\",\"mcc\":\"12x4\"}}",
                     0, NULL);
    expect_error(&r, 422, "invalid_mcc");
    response_free(&r);
    r = http(&srv, "GET", "/no/such/thing", NULL, NULL);
    cr_expect_eq(r.status, 404);
    response_free(&r);

    /* Not for anyone else. */
    r = http(&srv, "GET", "/metrics", NULL, NULL);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    r = http(&srv, "GET", "/metrics", admin, NULL);
    expect_error(&r, 403, "forbidden");
    response_free(&r);

    r = http(&srv, "GET", "/metrics", OPERATOR_TOKEN, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char type[128] = "";
    cr_expect(response_header(&r, "Content-Type", type, sizeof(type)));
    cr_expect(strncmp(type, "text/plain; version=0.0.4", 25) == 0, "%s", type);
    int samples = 0;
    expect_every_line_parses(r.body, &samples);
    cr_expect_gt(samples, 40, "%d samples", samples);

    cr_expect_geq(sample(r.body, "allianced_http_requests_total{method=\"POST\",route=\"/v1/"
                                 "transactions\",status=\"201\"}"),
                  1, "%s", r.body);
    cr_expect_geq(sample(r.body, "allianced_http_requests_total{method=\"POST\",route=\"/v1/"
                                 "transactions\",status=\"422\"}"),
                  1);
    cr_expect_geq(sample(r.body, "allianced_http_requests_total{method=\"GET\",route=\"unmatched\","
                                 "status=\"404\"}"),
                  1);
    cr_expect_geq(sample(r.body, "allianced_plugin_refusals_total{plugin=\"bank\"}"), 1);
    cr_expect_geq(sample(r.body, "allianced_ledger_batch_jobs_count"), 1);
    cr_expect_geq(sample(r.body, "allianced_ledger_commit_duration_seconds_count"), 1);
    cr_expect_eq(sample(r.body, "allianced_queue_depth{queue=\"commit\"}"), 0);
    cr_expect_geq(sample(r.body, "allianced_db_errors_total{kind=\"duplicate\"}"), 0);
    cr_expect_eq(sample(r.body, "allianced_metrics_dropped_total"), 0);
    /* A histogram's buckets add up: cumulative, the last one the count. */
    static const char *const les[] = {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                      "0.25",  "0.5",    "1",     "2.5",  "5",     "10",   "+Inf"};
    double before = 0;
    for (size_t i = 0; i < sizeof(les) / sizeof(les[0]); i++) {
        char head[256];
        snprintf(head, sizeof(head),
                 "allianced_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/"
                 "transactions\",le=\"%s\"}",
                 les[i]);
        double v = sample(r.body, head);
        cr_expect_geq(v, before, "%s", head);
        before = v;
    }
    cr_expect_eq(before,
                 sample(r.body, "allianced_http_request_duration_seconds_count{method=\"POST\","
                                "route=\"/v1/transactions\"}"));
    cr_expect_geq(before, 2);
    response_free(&r);
}
