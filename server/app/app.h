/*
 * The application: the top of the server. It starts what runs beside the
 * workers (the readiness probe, the committers, the report threads, the
 * sweeper), gives each worker its context (api/context.h), dispatches every
 * request through the route table to its handler, and stops everything in
 * order on SIGTERM, within the grace even when the database hangs.
 */
#ifndef AL_APP_H
#define AL_APP_H

#include "core/config.h"

/* Serves until SIGTERM/SIGINT; 0 after a clean stop, -1 when it could not start. */
int al_app_run(const al_config *cfg, const char *port_file);

#endif
