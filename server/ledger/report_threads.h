/*
 * Report threads: the long work (the analytics, settlement statements, a
 * history import, a sweep asked for by the operator) runs here, each thread
 * with its own database connection and a long timeout, so the worker that
 * took the request goes on answering its other connections meanwhile. A
 * report is an al_job with no idempotency record and no transaction of its
 * own; its answer goes back to the worker like a committer's.
 */
#ifndef AL_REPORT_THREADS_H
#define AL_REPORT_THREADS_H

#include <stdbool.h>

#include "ledger/committer.h"

/* Starts n report threads, one queue for all (io_timeout_s: see al_db_init); 0 or -1. */
int al_reports_start(const al_clusters *clusters, unsigned timeout_s, unsigned io_timeout_s, int n);

/* From any thread: the statements the report threads wait on fail at once. */
void al_reports_interrupt(void);

/* Asks the running reports to give up (they answer 503 shutting_down). */
void al_reports_cancel(void);

/* True once al_reports_cancel was called: a long loop checks it now and then. */
bool al_reports_cancelled(void);

/* Stops the threads after the reports they hold are answered. */
void al_reports_stop(void);

/* Queues a report; its done() is called on a report thread. */
void al_report_submit(al_job *job);

#endif
