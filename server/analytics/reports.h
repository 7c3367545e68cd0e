/*
 * The analytics reports (RFM, 80/20, CLV, churn, lifecycle, affinity), each
 * a job run on a report thread over the tenant's whole history: it reads,
 * scores, and renders its answer into the outcome. Long: seconds at millions
 * of rows; a stop (al_reports_cancel) abandons the read at once.
 */
#ifndef AL_ANALYTICS_REPORTS_H
#define AL_ANALYTICS_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "core/tz.h"
#include "db/db.h"
#include "ledger/outcome.h"

/* What a call asked, parsed on the worker, copied for the report thread. */
typedef struct al_analytics_query {
    char tenant[AL_ID_MAX + 1];
    char time_zone[AL_TZ_NAME_MAX + 1]; /* the tenant's: its days */
    int32_t as_of, cal_end;             /* days since 1970-01-01, in the tenant's zone */
    long window, horizon;               /* days; weeks */
    double discount, threshold, gap_factor;
    size_t offset, limit; /* the page of the list */
    int only;             /* a segment or a stage; -1: all */
    /* The member list by stage: its other filters and where the page starts. */
    char prefix[AL_ID_MAX + 1], tier[33], after[AL_ID_MAX + 1];
    int blocked; /* 1, 0, -1: either */
} al_analytics_query;

/* Each takes an al_analytics_query as ctx (an al_job_fn). */
bool al_rfm_report(al_db *db, void *ctx, al_outcome *o);
bool al_pareto_report(al_db *db, void *ctx, al_outcome *o);
bool al_clv_report(al_db *db, void *ctx, al_outcome *o);
bool al_churn_report(al_db *db, void *ctx, al_outcome *o);
bool al_lifecycle_report(al_db *db, void *ctx, al_outcome *o);
bool al_affinity_report(al_db *db, void *ctx, al_outcome *o);
/* GET /v1/members?stage=: the members in stage q->only as of q->as_of, by id, q->after on. */
bool al_members_in_stage_report(al_db *db, void *ctx, al_outcome *o);

#endif
