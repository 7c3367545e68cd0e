/*
 * Tenants (alliances) and their ledger settings: the tenants table, as typed
 * rows. The admin key is kept only as its SHA-256.
 */
#ifndef AL_TENANTS_H
#define AL_TENANTS_H

#include <stdbool.h>

#include "auth/rate.h"
#include "core/ids.h"
#include "db/db.h"

#define AL_TENANT_NAME_MAX 200

typedef struct al_tenant {
    char id[AL_ID_MAX + 1];
    char name[AL_TENANT_NAME_MAX + 1];
    char created_at[32]; /* RFC 3339, seconds */
    bool auto_enrol;     /* unknown members are enrolled on their first earning */
    int expiry_months;   /* points lapse this many months after the month they were earned */
    int rules_version;   /* the live rules (0: the defaults) */
    al_rate partner_rate, admin_rate; /* a key's requests a second and burst; 0: no limit */
    int expiry_notice_days;           /* points.expiring goes out this many days before */
    char time_zone[65];               /* IANA name: its days (promotions, caps, analytics) */
} al_tenant;

/* Creates a tenant; *exists when the id is taken (nothing changed). */
al_db_status al_tenant_create(al_db *db, const char *id, const char *name,
                              const char *admin_key_hash, bool *exists);

/* Reads a tenant; *found false when there is none. */
al_db_status al_tenant_get(al_db *db, const char *id, al_tenant *out, bool *found);

/* The tenants of ids (n of them) that db has, in id order, in one query (free *out). */
al_db_status al_tenants_get(al_db *db, const char *const *ids, size_t n, al_tenant **out,
                            size_t *got);

/*
 * Replaces a tenant's admin key (its hash): the old key stops at once, since
 * admin keys are read from the database on every request. *found false: no such tenant.
 */
al_db_status al_tenant_set_admin_key(al_db *db, const char *id, const char *admin_key_hash,
                                     bool *found);

/* What a PATCH changes: each field NULL, -1 or 0 (as said) to keep it. */
typedef struct al_tenant_changes {
    const char *name;                         /* NULL: keep */
    int auto_enrol;                           /* -1: keep */
    int expiry_months;                        /* 0: keep */
    int expiry_notice_days;                   /* -1: keep */
    const char *time_zone;                    /* NULL: keep */
    const al_rate *partner_rate, *admin_rate; /* NULL: keep */
} al_tenant_changes;

al_db_status al_tenant_update(al_db *db, const char *id, const al_tenant_changes *c);

#endif
