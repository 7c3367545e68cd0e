/* Tenants' setup versions; see versions.h. */
#include "tenants/versions.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"

typedef struct {
    char *tenant; /* NULL: a free slot */
    int64_t version;
    uint64_t epoch;
} slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot *slots;
static size_t cap, used;

/* The slot of tenant (made when missing); NULL when out of memory. Under lock. */
static slot *find(const char *tenant)
{
    if (used * 2 >= cap) { /* grow: open addressing stays short */
        size_t ncap = cap ? cap * 2 : 256;
        slot *n = calloc(ncap, sizeof(*n));
        if (n == NULL)
            return NULL;
        for (size_t i = 0; i < cap; i++)
            if (slots[i].tenant != NULL) {
                size_t j = al_id_hash(slots[i].tenant) % ncap;
                while (n[j].tenant != NULL)
                    j = (j + 1) % ncap;
                n[j] = slots[i];
            }
        free(slots);
        slots = n;
        cap = ncap;
    }
    size_t i = al_id_hash(tenant) % cap;
    while (slots[i].tenant != NULL && strcmp(slots[i].tenant, tenant) != 0)
        i = (i + 1) % cap;
    if (slots[i].tenant == NULL) {
        if ((slots[i].tenant = strdup(tenant)) == NULL)
            return NULL;
        used++;
    }
    return &slots[i];
}

bool al_setup_fresh(const char *tenant, int64_t version, uint64_t epoch)
{
    pthread_mutex_lock(&lock);
    slot *s = find(tenant);
    bool fresh = s != NULL && version >= s->version && epoch == s->epoch;
    pthread_mutex_unlock(&lock);
    return fresh;
}

uint64_t al_setup_epoch(const char *tenant)
{
    pthread_mutex_lock(&lock);
    slot *s = find(tenant);
    uint64_t epoch = s != NULL ? s->epoch : 0;
    pthread_mutex_unlock(&lock);
    return epoch;
}

void al_setup_seen(const char *tenant, int64_t version)
{
    pthread_mutex_lock(&lock);
    slot *s = find(tenant);
    if (s != NULL && version > s->version)
        s->version = version;
    pthread_mutex_unlock(&lock);
}

void al_setup_forget(const char *tenant)
{
    pthread_mutex_lock(&lock);
    slot *s = find(tenant);
    if (s != NULL)
        s->epoch++;
    pthread_mutex_unlock(&lock);
}

bool al_setup_stale(int64_t version, int64_t read_us, int64_t now_version, int64_t changed_us)
{
    return version != now_version && (now_version > version + 1 || changed_us < read_us);
}

static int seen_row(MYSQL_ROW row, unsigned long *lengths, void *ctx)
{
    (void)lengths, (void)ctx;
    al_setup_seen(row[0], strtoll(row[1], NULL, 10));
    return 0;
}

al_db_status al_setup_poll(al_db *db)
{
    return al_db_stream(db, "SELECT tenant_id, setup_version FROM tenants", NULL, 0, seen_row,
                        NULL);
}

void al_setup_versions_free(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < cap; i++)
        free(slots[i].tenant);
    free(slots);
    slots = NULL;
    cap = used = 0;
    pthread_mutex_unlock(&lock);
}
