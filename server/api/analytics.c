/*
 * GET /v1/analytics/... (tenant admin): member value and lifecycle. The
 * worker parses a call's parameters; the report itself (analytics/reports.c)
 * runs on a report thread (al_run_report). The rules are in docs/analytics.md.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analytics/overview.h"
#include "analytics/reports.h"
#include "analytics/value.h"
#include "api/booking.h"
#include "api/context.h"
#include "api/lookups.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "core/ids.h"

typedef al_analytics_query query;

/* Runs the report fn for q on a report thread; it answers. */
static void run(al_exchange *x, al_job_fn fn, query *q)
{
    snprintf(q->tenant, sizeof(q->tenant), "%s", x->tenant);
    al_run_report(x, fn, q, sizeof(*q), NULL);
}

/* The caller's tenant's time zone into q (its days are the reports' days); -1 after replying. */
static int zone_of(al_exchange *x, query *q)
{
    al_tenant t;
    if (al_tenant_load(x, &t) != 0)
        return -1;
    snprintf(q->time_zone, sizeof(q->time_zone), "%s", t.time_zone);
    return 0;
}

/* A date parameter (default: today in q's zone); 0, or -1 after replying. */
static int day_param(al_exchange *x, const query *q, const char *name, int32_t *out)
{
    char text[16];
    *out = al_day_today_in(al_tz_get(q->time_zone));
    if (!al_query_value(x, name, text, sizeof(text)) || (*out = al_day_parse(text)) >= 0)
        return 0;
    al_reply_error(x, 400, "invalid_parameter", "%s must be a date YYYY-MM-DD", name);
    return -1;
}

/* A whole-number parameter in [min, max] (default def); 0, or -1 after replying. */
static int int_param(al_exchange *x, const char *name, long def, long min, long max, long *out)
{
    char text[24];
    long long v = def;
    *out = def;
    if (!al_query_value(x, name, text, sizeof(text)))
        return 0;
    if (!al_parse_int(text, min, max, &v)) {
        al_reply_error(x, 400, "invalid_parameter", "%s must be a whole number from %ld to %ld",
                       name, min, max);
        return -1;
    }
    *out = (long)v;
    return 0;
}

/* A fraction parameter in [min, max] (default def); 0, or -1 after replying. */
static int rate_param(al_exchange *x, const char *name, double def, double min, double max,
                      double *out)
{
    char text[24], *end;
    *out = def;
    if (!al_query_value(x, name, text, sizeof(text)))
        return 0;
    *out = strtod(text, &end);
    if (end == text || *end != '\0' || !(*out >= min && *out <= max)) {
        al_reply_error(x, 400, "invalid_parameter", "%s must be a number from %g to %g", name, min,
                       max);
        return -1;
    }
    return 0;
}

/* limit and cursor (an offset into the list, as next_cursor gave it); 0, or -1 after replying. */
static int page_params(al_exchange *x, size_t *offset, size_t *limit)
{
    long long l, c = 0;
    char text[24];
    if (al_query_limit(x, &l) != 0)
        return -1;
    if (al_query_value(x, "cursor", text, sizeof(text)) && !al_parse_int(text, 0, LONG_MAX, &c)) {
        al_reply_error(x, 400, "invalid_cursor", "cursor must be a next_cursor of this list");
        return -1;
    }
    *offset = (size_t)c;
    *limit = (size_t)l;
    return 0;
}

void al_api_analytics_rfm(al_exchange *x)
{
    query q = {.only = -1};
    if (zone_of(x, &q) != 0)
        return;
    char seg_name[32];
    if (day_param(x, &q, "as_of", &q.as_of) != 0 ||
        int_param(x, "window_days", 365, 1, 36600, &q.window) != 0 ||
        page_params(x, &q.offset, &q.limit) != 0)
        return;
    if (al_query_value(x, "segment", seg_name, sizeof(seg_name)) &&
        (q.only = al_segment_by_name(seg_name)) < 0) {
        al_reply_error(x, 400, "invalid_parameter", "segment must be one of the segment names");
        return;
    }
    run(x, al_rfm_report, &q);
}

/* GET /v1/analytics/overview?months= (12 by default): the console's first page. */
void al_api_analytics_overview(al_exchange *x)
{
    query q = {.only = -1};
    if (zone_of(x, &q) != 0 ||
        int_param(x, "months", 12, 1, AL_OVERVIEW_MONTHS_MAX, &q.window) != 0)
        return;
    run(x, al_overview_report, &q);
}

void al_api_analytics_pareto(al_exchange *x)
{
    query q = {.only = -1};
    if (zone_of(x, &q) != 0)
        return;
    if (day_param(x, &q, "as_of", &q.as_of) != 0 ||
        int_param(x, "window_days", 0, 0, 36600, &q.window) != 0)
        return;
    run(x, al_pareto_report, &q);
}

void al_api_analytics_clv(al_exchange *x)
{
    query q = {.only = -1};
    if (zone_of(x, &q) != 0)
        return;
    if (day_param(x, &q, "calibration_end", &q.cal_end) != 0 ||
        int_param(x, "horizon_weeks", 52, 1, 520, &q.horizon) != 0 ||
        rate_param(x, "annual_discount", 0.10, 0, 1, &q.discount) != 0 ||
        page_params(x, &q.offset, &q.limit) != 0)
        return;
    run(x, al_clv_report, &q);
}

void al_api_analytics_churn(al_exchange *x)
{
    query q = {.only = -1};
    if (zone_of(x, &q) != 0)
        return;
    if (day_param(x, &q, "as_of", &q.as_of) != 0 ||
        rate_param(x, "p_alive_below", 0.5, 0, 1, &q.threshold) != 0 ||
        rate_param(x, "gap_factor", 2, 1, 100, &q.gap_factor) != 0 ||
        page_params(x, &q.offset, &q.limit) != 0)
        return;
    run(x, al_churn_report, &q);
}

void al_api_analytics_lifecycle(al_exchange *x)
{
    query q = {.only = -1};
    if (zone_of(x, &q) != 0)
        return;
    char stage_name[16];
    if (day_param(x, &q, "as_of", &q.as_of) != 0 || page_params(x, &q.offset, &q.limit) != 0)
        return;
    if (al_query_value(x, "stage", stage_name, sizeof(stage_name)) &&
        (q.only = al_stage_by_name(stage_name)) < 0) {
        al_reply_error(x, 400, "invalid_parameter",
                       "stage must be new, growing, mature, declining or lapsed");
        return;
    }
    run(x, al_lifecycle_report, &q);
}

void al_api_analytics_affinity(al_exchange *x)
{
    query q = {.only = -1};
    if (zone_of(x, &q) != 0)
        return;
    if (day_param(x, &q, "as_of", &q.as_of) != 0 ||
        int_param(x, "window_days", 365, 1, 36600, &q.window) != 0)
        return;
    run(x, al_affinity_report, &q);
}
