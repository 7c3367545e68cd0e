/* Leases in a table; see lease.h. */
#include "db/lease.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

static char holder[AL_LEASE_HOLDER_MAX];
static pthread_once_t holder_once = PTHREAD_ONCE_INIT;

static void make_holder(void)
{
    char host[64] = "host";
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "host");
    host[sizeof(host) - 1] = '\0';
    unsigned char tag[6] = {0};
    if (RAND_bytes(tag, sizeof(tag)) != 1)
        memset(tag, 0, sizeof(tag)); /* the pid still tells processes apart */
    snprintf(holder, sizeof(holder), "%.63s/%ld/%02x%02x%02x%02x%02x%02x", host, (long)getpid(),
             tag[0], tag[1], tag[2], tag[3], tag[4], tag[5]);
}

const char *al_lease_holder(void)
{
    pthread_once(&holder_once, make_holder);
    return holder;
}

al_db_status al_lease_prepare(al_db *db)
{
    return al_db_exec(db,
                      "CREATE TABLE IF NOT EXISTS leases ("
                      " name VARCHAR(128) NOT NULL PRIMARY KEY,"
                      " holder VARCHAR(96) NOT NULL,"
                      " expires_at DATETIME(6) NOT NULL"
                      ") ENGINE=InnoDB",
                      NULL, 0, NULL);
}

al_db_status al_lease_take(al_db *db, const char *name, int64_t ttl_ms, bool *held)
{
    *held = false;
    const char *me = al_lease_holder();
    /*
     * The assignments run left to right: holder changes only when the row has
     * expired or is ours, and expires_at moves only when holder is (now) ours.
     */
    al_db_param p[] = {AL_STR(name), AL_STR(me), AL_INT(ttl_ms * 1000)};
    al_db_status st = al_db_exec(
        db,
        "INSERT INTO leases (name, holder, expires_at)"
        " VALUES (?, ?, NOW(6) + INTERVAL ? MICROSECOND)"
        " ON DUPLICATE KEY UPDATE"
        " holder = IF(expires_at < NOW(6) OR holder = VALUES(holder), VALUES(holder), holder),"
        " expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)",
        p, 3, NULL);
    if (st == AL_DB_RETRY || st == AL_DB_DUPLICATE)
        return AL_DB_OK; /* another node took it at the same moment */
    if (st != AL_DB_OK)
        return st;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row = NULL;
    st = al_db_row(db, "SELECT holder FROM leases WHERE name = ?", p, 1, &res, &row);
    if (st == AL_DB_OK && row != NULL && row[0] != NULL)
        *held = strcmp(row[0], me) == 0;
    al_db_free_result(res);
    return st;
}

al_db_status al_lease_release(al_db *db, const char *name)
{
    al_db_param p[] = {AL_STR(name), AL_STR(al_lease_holder())};
    al_db_status st =
        al_db_exec(db, "DELETE FROM leases WHERE name = ? AND holder = ?", p, 2, NULL);
    return st == AL_DB_RETRY ? AL_DB_OK : st;
}
