/*
 * What a handler has of the worker that runs it: its database connections,
 * the plugin generation in use, the rules cache, and the server's
 * configuration and keys. One per worker, made by the application
 * (server/app/) and reached through x->ctx (the transport never looks inside).
 */
#ifndef AL_API_CONTEXT_H
#define AL_API_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/key_cache.h"
#include "auth/secrets.h"
#include "core/config.h"
#include "db/clusters.h"
#include "db/db.h"
#include "http/exchange.h"
#include "partners/cache.h"
#include "plugins/registry.h"
#include "rules/cache.h"

/* The server's keys, parsed once from the configuration. */
typedef struct al_keys {
    uint8_t master_key[AL_MASTER_KEY_BYTES];
    bool has_master_key;
    uint8_t settlement_key[32];
    bool has_settlement_key;
} al_keys;

typedef struct al_ctx {
    int worker_id;
    al_db_set dbs;               /* this worker's connections, one a cluster: short timeouts */
    al_plugin_set *plugins;      /* this worker's reference on the plugin set in use */
    al_rules_cache *rules;       /* tenants' compiled rules */
    al_key_cache *key_cache;     /* partner keys */
    al_setup_cache *setup_cache; /* partners' setups, their configs loaded */
    const al_config *cfg;
    const al_keys *keys;
} al_ctx;

static inline al_ctx *al_ctx_of(const al_exchange *x)
{
    return (al_ctx *)x->ctx;
}

/* The connection to the cluster of the caller's tenant (main before it is known). */
static inline al_db *al_db_of(const al_exchange *x)
{
    return &al_ctx_of(x)->dbs.db[x->cluster];
}

/* The connection to the main cluster (the tenant directory lives there). */
static inline al_db *al_db_main(const al_exchange *x)
{
    return &al_ctx_of(x)->dbs.db[0];
}

#endif
