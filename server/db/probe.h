/*
 * The readiness probe: a thread of its own asks the database every few tens
 * of milliseconds on a connection with one-second timeouts and keeps the
 * verdict (answers; synced, on a Galera node), so /readyz answers at once
 * whatever the database does (a worker
 * never waits on a hung database to say it is not ready).
 */
#ifndef AL_DB_PROBE_H
#define AL_DB_PROBE_H

#include <stdbool.h>

#include "db/clusters.h"

/* Starts the probe, one connection a cluster; 0 or -1. */
int al_db_probe_start(const al_clusters *clusters);

/* Stops it (from the thread that started it). */
void al_db_probe_stop(void);

/* True when cluster k's last question was answered (ready) and is recent. */
bool al_db_probe_cluster_ready(int k);

/* How many clusters are ready. */
int al_db_probe_clusters_ready(void);

/* True when at least one cluster is ready (with one cluster: that one). */
bool al_db_probe_ready(void);

#endif
