/* Token buckets; see rate.h. */
#include "auth/rate.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/ids.h"

/*
 * A fixed table (no allocation): open addressing by the key's hash. When it
 * is full a new key is not limited (it never refuses for want of room).
 */
#define SLOTS 16384
#define PROBES 32
#define UNIT 1000000 /* micro-tokens a token: whole-number arithmetic only */

typedef struct {
    char key[48];
    int64_t tokens; /* micro-tokens */
    int64_t at_us;  /* when they were counted */
} bucket;

static bucket table[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static bucket *find(const char *key, int64_t capacity, int64_t now_us)
{
    uint32_t h = al_id_hash(key);
    for (uint32_t i = 0; i < PROBES; i++) {
        bucket *b = &table[(h + i) % SLOTS];
        if (b->key[0] == '\0') {
            snprintf(b->key, sizeof(b->key), "%s", key);
            b->tokens = capacity; /* a new key starts full */
            b->at_us = now_us;
            return b;
        }
        if (strcmp(b->key, key) == 0)
            return b;
    }
    return NULL;
}

bool al_rate_take(const char *key, al_rate rate, int64_t now_us, int64_t *retry_after_s)
{
    *retry_after_s = 0;
    if (rate.per_second <= 0)
        return true;
    int64_t burst = rate.burst > 0 ? rate.burst : rate.per_second;
    int64_t capacity = burst * UNIT;
    pthread_mutex_lock(&lock);
    bucket *b = find(key, capacity, now_us);
    bool ok = true;
    if (b != NULL) {
        int64_t elapsed = now_us - b->at_us;
        int64_t full_after = capacity / rate.per_second + 1; /* microseconds to fill up */
        if (elapsed > full_after)
            elapsed = full_after;
        if (elapsed > 0)
            b->tokens += elapsed * rate.per_second;
        if (b->tokens > capacity)
            b->tokens = capacity;
        b->at_us = now_us > b->at_us ? now_us : b->at_us;
        if (b->tokens >= UNIT) {
            b->tokens -= UNIT;
        } else {
            ok = false;
            int64_t wait_us = (UNIT - b->tokens + rate.per_second - 1) / rate.per_second;
            *retry_after_s = (wait_us + 999999) / 1000000;
        }
    }
    pthread_mutex_unlock(&lock);
    return ok;
}
