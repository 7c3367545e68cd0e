/*
 * What the transport's own files share about a worker (private to http/):
 * the reply path counts requests in flight.
 */
#ifndef AL_HTTP_WORKER_H
#define AL_HTTP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

struct al_http_worker;

/* Called by the reply path once per answered request. */
void al_http_request_done(struct al_http_worker *w);

#endif
