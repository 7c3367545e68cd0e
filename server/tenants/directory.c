/* The tenant directory; see directory.h. */
#include "tenants/directory.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "core/log.h"

#define BUCKETS 4096

typedef struct entry {
    struct entry *next;
    int cluster;
    char tenant[AL_ID_MAX + 1];
} entry;

static al_clusters clusters = {.n = 1};
static entry *buckets[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void al_directory_start(const al_clusters *c)
{
    clusters = *c;
}

const al_clusters *al_directory_clusters(void)
{
    return &clusters;
}

static entry **bucket_of(const char *tenant)
{
    return &buckets[al_id_hash(tenant) % BUCKETS];
}

/* Caller holds lock. */
static entry *find(const char *tenant)
{
    for (entry *e = *bucket_of(tenant); e != NULL; e = e->next)
        if (strcmp(e->tenant, tenant) == 0)
            return e;
    return NULL;
}

static bool remembered(const char *tenant, int *cluster)
{
    pthread_mutex_lock(&lock);
    entry *e = find(tenant);
    if (e != NULL)
        *cluster = e->cluster;
    pthread_mutex_unlock(&lock);
    return e != NULL;
}

static void remember(const char *tenant, int cluster)
{
    entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return; /* read again next time */
    e->cluster = cluster;
    snprintf(e->tenant, sizeof(e->tenant), "%s", tenant);
    pthread_mutex_lock(&lock);
    if (find(tenant) == NULL) { /* another thread may have read it meanwhile */
        entry **b = bucket_of(tenant);
        e->next = *b;
        *b = e;
        e = NULL;
    }
    pthread_mutex_unlock(&lock);
    free(e);
}

al_db_status al_directory_lookup(al_db *main, const char *tenant, int *cluster)
{
    *cluster = 0;
    if (clusters.n == 1 || remembered(tenant, cluster))
        return AL_DB_OK;
    al_db_param p[] = {AL_STR(tenant)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row = NULL;
    al_db_status st = al_db_row(main, "SELECT cluster FROM tenant_directory WHERE tenant_id = ?", p,
                                1, &res, &row);
    if (st == AL_DB_OK && row != NULL) {
        int c = al_cluster_find(&clusters, row[0]);
        if (c < 0) {
            al_log(AL_LOG_ERROR, "tenant %s is on cluster %s, which this server is not given",
                   tenant, row[0]);
            st = AL_DB_ERROR;
        } else {
            *cluster = c;
            remember(tenant, c);
        }
    }
    al_db_free_result(res);
    return st;
}

al_db_status al_directory_place(al_db *main, const char *tenant, int cluster, bool *exists)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(clusters.names[cluster])};
    al_db_status st = al_db_exec(
        main, "INSERT INTO tenant_directory (tenant_id, cluster) VALUES (?, ?)", p, 2, NULL);
    *exists = st == AL_DB_DUPLICATE;
    if (st == AL_DB_OK)
        remember(tenant, cluster);
    return *exists ? AL_DB_OK : st;
}

al_db_status al_directory_unplace(al_db *main, const char *tenant)
{
    pthread_mutex_lock(&lock);
    for (entry **e = bucket_of(tenant); *e != NULL; e = &(*e)->next)
        if (strcmp((*e)->tenant, tenant) == 0) {
            entry *gone = *e;
            *e = gone->next;
            free(gone);
            break;
        }
    pthread_mutex_unlock(&lock);
    al_db_param p[] = {AL_STR(tenant)};
    return al_db_exec(main, "DELETE FROM tenant_directory WHERE tenant_id = ?", p, 1, NULL);
}

static int entry_of(MYSQL_ROW row, void *element)
{
    al_directory_entry *e = element;
    snprintf(e->tenant, sizeof(e->tenant), "%s", row[0]);
    e->cluster = al_cluster_find(&clusters, row[1]);
    return 0;
}

al_db_status al_directory_page(al_db *main, const char *after, int64_t limit,
                               al_directory_entry **out, size_t *n)
{
    al_db_param p[] = {AL_STR(after), AL_INT(limit)};
    void *list = NULL;
    al_db_status st = al_db_list(main,
                                 "SELECT tenant_id, cluster FROM tenant_directory "
                                 "WHERE tenant_id > ? ORDER BY tenant_id LIMIT ?",
                                 p, 2, sizeof(**out), entry_of, &list, n);
    *out = list;
    return st;
}

void al_directory_free(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < BUCKETS; i++)
        while (buckets[i] != NULL) {
            entry *e = buckets[i];
            buckets[i] = e->next;
            free(e);
        }
    pthread_mutex_unlock(&lock);
}
