/* Schema migrations; see migrate.h. */
#include "db/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ids.h"
#include "core/log.h"
#include "db/lease.h"

#define MAX_MIGRATIONS 1000
/*
 * One server migrates at a time: it holds this lease, renewed after each
 * migration; one that dies loses it after MIGRATE_LEASE_MS. The others wait
 * (up to MIGRATE_WAIT_MS) until nothing is left to apply.
 */
#define MIGRATE_LEASE "migrate"
#define MIGRATE_LEASE_MS 300000LL /* 5 minutes */
#define MIGRATE_WAIT_MS 600000LL  /* 10 minutes */
#define MIGRATE_POLL_MS 250

typedef struct {
    int version;
    char name[128];
} migration;

static int by_version(const void *a, const void *b)
{
    return ((const migration *)a)->version - ((const migration *)b)->version;
}

/* NNN_name.sql with name in [a-z0-9_]; returns NNN or -1. */
static int migration_version(const char *file)
{
    size_t n = strlen(file);
    if (n < 9 || n >= 128 || strcmp(file + n - 4, ".sql") != 0 || file[3] != '_')
        return -1;
    for (int i = 0; i < 3; i++)
        if (file[i] < '0' || file[i] > '9')
            return -1;
    for (size_t i = 4; i < n - 4; i++)
        if (!((file[i] >= 'a' && file[i] <= 'z') || (file[i] >= '0' && file[i] <= '9') ||
              file[i] == '_'))
            return -1;
    return (file[0] - '0') * 100 + (file[1] - '0') * 10 + (file[2] - '0');
}

static int list_migrations(const char *dir, migration *out, int *count, char err[256])
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, 256, "cannot open schema folder %s: %s", dir, strerror(errno));
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int v = migration_version(e->d_name);
        if (v < 0)
            continue;
        if (n == MAX_MIGRATIONS) {
            closedir(d);
            snprintf(err, 256, "too many migrations in %s", dir);
            return -1;
        }
        out[n].version = v;
        memcpy(out[n].name, e->d_name, strlen(e->d_name) + 1); /* < 128, checked */
        n++;
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof(*out), by_version);
    for (int i = 1; i < n; i++)
        if (out[i].version == out[i - 1].version) {
            snprintf(err, 256, "two migrations numbered %03d", out[i].version);
            return -1;
        }
    *count = n;
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && size < 16L * 1024 * 1024 && fseek(f, 0, SEEK_SET) == 0) {
            buf = malloc((size_t)size + 1);
            if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
                free(buf);
                buf = NULL;
            } else if (buf != NULL) {
                buf[size] = '\0';
                *len = (size_t)size;
            }
        }
    }
    fclose(f);
    return buf;
}

static int drain(MYSQL *m, int status, char err[256]);

/* Runs a file of several statements, draining every result. */
static int run_script(al_db *db, const char *sql, size_t len, char err[256])
{
    MYSQL *m = db->conn;
    /* Only migrations may send several statements at once. */
    if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) {
        snprintf(err, 256, "%s", mysql_error(m));
        return -1;
    }
    int rc = drain(m, mysql_real_query(m, sql, (unsigned long)len), err);
    mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
    return rc;
}

/* Consumes every result of a multi-statement query. */
static int drain(MYSQL *m, int status, char err[256])
{
    for (;;) {
        if (status != 0) {
            snprintf(err, 256, "%s", mysql_error(m));
            return -1;
        }
        MYSQL_RES *r = mysql_store_result(m);
        if (r != NULL)
            mysql_free_result(r);
        status = mysql_next_result(m);
        if (status == -1)
            return 0;
        if (status > 0) {
            snprintf(err, 256, "%s", mysql_error(m));
            return -1;
        }
    }
}

/* The checksum recorded for version, or "" when it has not run. */
static int applied_checksum(al_db *db, int version, char sum[65])
{
    MYSQL_RES *res = NULL;
    al_db_param p[] = {AL_INT(version)};
    sum[0] = '\0';
    if (al_db_exec(db, "SELECT checksum FROM schema_migrations WHERE version = ?", p, 1, &res) !=
        AL_DB_OK)
        return -1;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row != NULL && row[0] != NULL)
        snprintf(sum, 65, "%s", row[0]);
    mysql_free_result(res);
    return 0;
}

/*
 * Walks the migrations of dir against schema_migrations. With apply, runs
 * what is new (renewing the migration lease after each); without, only counts
 * what is new into *pending.
 */
static int apply_all(al_db *db, const char *dir, bool apply, int *pending, char err[256])
{
    static migration list[MAX_MIGRATIONS];
    int n = 0;
    if (list_migrations(dir, list, &n, err) != 0)
        return -1;
    int applied = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, list[i].name);
        size_t len = 0;
        char *sql = read_file(path, &len);
        if (sql == NULL) {
            snprintf(err, 256, "cannot read %.200s", path);
            return -1;
        }
        char sum[65], done[65];
        al_sha256_hex(sql, len, sum);
        if (applied_checksum(db, list[i].version, done) != 0) {
            free(sql);
            snprintf(err, 256, "cannot read schema_migrations: %s", al_db_error(db));
            return -1;
        }
        if (done[0] != '\0') {
            free(sql);
            if (strcmp(done, sum) != 0) {
                snprintf(err, 256, "%s changed after it was applied; add a new migration instead",
                         list[i].name);
                return -1;
            }
            continue;
        }
        if (!apply) {
            free(sql);
            (*pending)++;
            continue;
        }
        al_log(AL_LOG_INFO, "applying migration %s", list[i].name);
        int rc = run_script(db, sql, len, err);
        free(sql);
        if (rc != 0)
            return -1;
        al_db_param p[] = {AL_INT(list[i].version), AL_STR(list[i].name), AL_STR(sum)};
        if (al_db_exec(db, "INSERT INTO schema_migrations (version, name, checksum) VALUES (?,?,?)",
                       p, 3, NULL) != AL_DB_OK) {
            snprintf(err, 256, "cannot record %s: %s", list[i].name, al_db_error(db));
            return -1;
        }
        applied++;
        bool held = false;
        if (al_lease_take(db, MIGRATE_LEASE, MIGRATE_LEASE_MS, &held) != AL_DB_OK || !held) {
            snprintf(err, 256, "lost the migration lease after %s", list[i].name);
            return -1;
        }
    }
    if (apply)
        al_log(AL_LOG_INFO, "schema is current: %d migrations, %d applied now", n, applied);
    return 0;
}

int al_migrate(al_db *db, const char *dir, char err[256])
{
    if (al_db_create_database(db) != AL_DB_OK || al_db_ensure(db) != AL_DB_OK) {
        snprintf(err, 256, "database unavailable");
        return -1;
    }
    if (al_db_exec(db,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version INT NOT NULL PRIMARY KEY,"
                   " name VARCHAR(128) NOT NULL,"
                   " checksum CHAR(64) NOT NULL,"
                   " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
                   ") ENGINE=InnoDB",
                   NULL, 0, NULL) != AL_DB_OK) {
        snprintf(err, 256, "cannot create schema_migrations: %s", al_db_error(db));
        return -1;
    }
    if (al_lease_prepare(db) != AL_DB_OK) {
        snprintf(err, 256, "cannot create leases: %s", al_db_error(db));
        return -1;
    }
    for (int64_t waited_ms = 0;; waited_ms += MIGRATE_POLL_MS) {
        bool held = false;
        if (al_lease_take(db, MIGRATE_LEASE, MIGRATE_LEASE_MS, &held) != AL_DB_OK) {
            snprintf(err, 256, "cannot take the migration lease: %s", al_db_error(db));
            return -1;
        }
        if (held) {
            int rc = apply_all(db, dir, true, NULL, err);
            al_lease_release(db, MIGRATE_LEASE);
            return rc;
        }
        /* Another server migrates: done when nothing is left to apply. */
        int pending = 0;
        if (apply_all(db, dir, false, &pending, err) != 0)
            return -1;
        if (pending == 0) {
            al_log(AL_LOG_INFO, "schema is current (another server applied it)");
            return 0;
        }
        if (waited_ms >= MIGRATE_WAIT_MS) {
            snprintf(err, 256, "another server has held the migration lease for %lld s",
                     (long long)(waited_ms / 1000));
            return -1;
        }
        struct timespec pause = {0, MIGRATE_POLL_MS * 1000000L};
        nanosleep(&pause, NULL);
    }
}
