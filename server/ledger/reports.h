/*
 * Report threads: the long reads (the analytics, a settlement statement) run
 * here, each thread with its own database connection, so the worker that
 * took the request goes on answering its other connections meanwhile. A
 * report is an al_job with no idempotency record and no transaction of its
 * own; its answer goes back to the worker like a committer's.
 */
#ifndef AL_REPORTS_H
#define AL_REPORTS_H

#include <stdbool.h>

#include "ledger/committer.h"

/* Starts n report threads, one queue for all; 0 or -1. */
int al_reports_start(const al_db_url *url, unsigned timeout_s, int n);

/* Asks the running reports to give up (they answer 503 shutting_down). */
void al_reports_cancel(void);

/* True once al_reports_cancel was called: a long loop checks it now and then. */
bool al_reports_cancelled(void);

/* Stops the threads after the reports they hold are answered. */
void al_reports_stop(void);

/* True when report threads run (else reports run on the worker). */
bool al_reports_running(void);

/* Queues a report; its done() is called on a report thread. */
void al_report_submit(al_job *job);

#endif
