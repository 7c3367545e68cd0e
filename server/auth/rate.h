/*
 * Rate limits: a token bucket per key (a partner key, an admin key), shared by
 * the process's workers. A key may send per_second requests a second on
 * average, and burst at once (0: as many as per_second). Each server counts
 * its own: behind a balancer over n servers, a key may reach n times the rate.
 */
#ifndef AL_RATE_H
#define AL_RATE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct al_rate {
    int per_second; /* 0: no limit */
    int burst;      /* 0: per_second */
} al_rate;

/*
 * Takes one request's token from key's bucket at now_us (monotonic); false
 * when there is none, with *retry_after_s the whole seconds until there is.
 */
bool al_rate_take(const char *key, al_rate rate, int64_t now_us, int64_t *retry_after_s);

#endif
