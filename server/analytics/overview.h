/*
 * The program's overview, for the console's first page: members, points
 * outstanding (the liability) and what they would cost at each partner's
 * redemption price, points issued, redeemed, expired and reversed per month
 * (months of the tenant's zone), the breakage rate, and the top partners.
 */
#ifndef AL_ANALYTICS_OVERVIEW_H
#define AL_ANALYTICS_OVERVIEW_H

#include <stdbool.h>

#include "db/db.h"
#include "ledger/outcome.h"

/* Most months the overview reads back. */
#define AL_OVERVIEW_MONTHS_MAX 36

/* A job (al_job_fn) on an al_analytics_query: q->window is the number of months. */
bool al_overview_report(al_db *db, void *ctx, al_outcome *o);

#endif
