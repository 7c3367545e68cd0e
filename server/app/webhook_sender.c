/* The webhook sender; see webhook_sender.h. */
#include "app/webhook_sender.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "auth/auth.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/metrics.h"
#include "db/db.h"
#include "db/lease.h"
#include "webhooks/queue.h"

#define SENDER_LEASE "webhooks"
#define LEASE_MS 30000      /* a holder that stops renewing hands over after this */
#define FAN_OUT_PAGE 500    /* events fanned out a transaction */
#define SEND_AT_ONCE 64     /* deliveries in flight together */
#define COUNT_EVERY_MS 1000 /* the queue gauges counted at most this often */
#define ANSWER_KEEP 200     /* bytes of a refusal's body kept as its error */

static pthread_t thread;
static bool started;
static al_db_set dbs;
static al_config cfg_copy;
static uint8_t key[AL_MASTER_KEY_BYTES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static atomic_bool cancelled;
static atomic_bool cut; /* interrupted: no statement more, not even the lease's release */
static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER; /* interrupt against stop */
static bool was_holder[AL_MAX_CLUSTERS];
static bool healthy[AL_MAX_CLUSTERS]; /* the last round's statements all answered */

/* One request in flight (a slot of the pipeline; easy NULL: free). */
typedef struct {
    CURL *easy;
    struct curl_slist *headers;
    al_due due; /* owned: its body and secret */
    int cluster;
    char answer[ANSWER_KEEP + 1];
    size_t answer_len;
    char error[CURL_ERROR_SIZE];
    int64_t started_ms;
} flight;

static size_t keep_answer(char *data, size_t size, size_t n, void *arg)
{
    flight *f = arg;
    size_t len = size * n, room = ANSWER_KEEP - f->answer_len;
    size_t take = len < room ? len : room;
    memcpy(f->answer + f->answer_len, data, take);
    f->answer_len += take;
    f->answer[f->answer_len] = '\0';
    return len;
}

/* The path and query of url, as the receiver sees them (signed). */
static void path_of(const char *url, char *out, size_t size)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    snprintf(out, size, "%s", p ? p : "/");
    char *hash = strchr(out, '#');
    if (hash != NULL)
        *hash = '\0';
}

/* Sets f up to POST d (taken) for cluster k; false when it cannot be. */
static bool prepare(flight *f, al_due *d, int k)
{
    memset(f, 0, sizeof(*f));
    f->due = *d;
    f->cluster = k;
    d = &f->due;
    char ts[24], sig[65], path[AL_WEBHOOK_URL_MAX + 1], h[160];
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    path_of(d->url, path, sizeof(path));
    if (al_request_signature(d->secret, "POST", path, ts, d->body, strlen(d->body), sig) != 0 ||
        (f->easy = curl_easy_init()) == NULL)
        return false;
    const char *fixed[] = {"Content-Type: application/json", "Expect:", "User-Agent: allianced"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        f->headers = curl_slist_append(f->headers, fixed[i]);
    snprintf(h, sizeof(h), "X-Alliance-Webhook: %lld", (long long)d->webhook_id);
    f->headers = curl_slist_append(f->headers, h);
    snprintf(h, sizeof(h), "X-Alliance-Delivery: %lld", (long long)d->id);
    f->headers = curl_slist_append(f->headers, h);
    snprintf(h, sizeof(h), "X-Alliance-Event: %s", d->type);
    f->headers = curl_slist_append(f->headers, h);
    snprintf(h, sizeof(h), "X-Alliance-Timestamp: %s", ts);
    f->headers = curl_slist_append(f->headers, h);
    snprintf(h, sizeof(h), "X-Alliance-Signature: %s", sig);
    f->headers = curl_slist_append(f->headers, h);
    curl_easy_setopt(f->easy, CURLOPT_URL, d->url);
    curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(f->easy, CURLOPT_POSTFIELDS, d->body);
    curl_easy_setopt(f->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(d->body));
    curl_easy_setopt(f->easy, CURLOPT_TIMEOUT, (long)cfg_copy.webhook_timeout_s);
    curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT, (long)cfg_copy.webhook_timeout_s);
    curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->error);
    curl_easy_setopt(f->easy, CURLOPT_PRIVATE, f);
    f->started_ms = al_monotonic_ms();
    return true;
}

static void flight_free(flight *f)
{
    if (f->easy != NULL)
        curl_easy_cleanup(f->easy);
    curl_slist_free_all(f->headers);
    free(f->due.body);
    OPENSSL_cleanse(f->due.secret, sizeof(f->due.secret));
    memset(f, 0, sizeof(*f));
}

/* Records how f went. */
static void settle(al_db *db, flight *f, CURLcode rc)
{
    long status = 0;
    char why[256];
    if (rc == CURLE_OK)
        curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
    al_attempt_result r = {.http_status = (int)status,
                           .took_ms = (int)(al_monotonic_ms() - f->started_ms)};
    if (rc != CURLE_OK) {
        snprintf(why, sizeof(why), "%.200s", f->error[0] ? f->error : curl_easy_strerror(rc));
        r.error = why;
    } else if (status < 200 || status > 299) {
        snprintf(why, sizeof(why), "HTTP %ld: %.150s", status, f->answer);
        r.error = why;
    }
    bool dead = false;
    al_db_status st = al_delivery_record(db, &f->due, &r, (int)cfg_copy.webhook_attempts,
                                         (int)cfg_copy.webhook_backoff_s, &dead);
    if (st != AL_DB_OK)
        al_log(AL_LOG_WARN, "webhooks: delivery %lld could not be recorded (%d); it goes again",
               (long long)f->due.id, (int)st);
    al_metrics_webhook(r.error == NULL ? AL_METRIC_WEBHOOK_DELIVERED
                       : dead          ? AL_METRIC_WEBHOOK_DEAD
                                       : AL_METRIC_WEBHOOK_FAILED,
                       (int64_t)r.took_ms * 1000);
    if (dead)
        al_log(AL_LOG_WARN, "webhooks: delivery %lld of event %lld to webhook %lld is dead: %s",
               (long long)f->due.id, (long long)f->due.event_id, (long long)f->due.webhook_id,
               r.error);
}

static bool own_the_sending(int k)
{
    bool held = false;
    al_db_status st = al_lease_take(&dbs.db[k], SENDER_LEASE, LEASE_MS, &held);
    healthy[k] = st == AL_DB_OK;
    if (st != AL_DB_OK)
        held = false;
    if (held != was_holder[k])
        al_log(AL_LOG_INFO, "webhooks: this node %s the deliveries of cluster %d",
               held ? "sends" : "no longer sends", k);
    was_holder[k] = held;
    return held;
}

/*
 * The pipeline: up to SEND_AT_ONCE deliveries in flight on one multi handle;
 * a finished one is recorded and its slot refilled from what is due, so a
 * slow receiver holds its own member's queue only, never a whole round.
 */
typedef struct {
    CURLM *multi;
    flight slot[SEND_AT_ONCE];
    int busy;
    int64_t lease_at[AL_MAX_CLUSTERS];   /* when each cluster's lease was last renewed */
    int64_t counted_at[AL_MAX_CLUSTERS]; /* when its queue was last counted */
    bool mine[AL_MAX_CLUSTERS];
} pipeline;

static bool in_flight(const pipeline *p, int k, int64_t id)
{
    for (int i = 0; i < SEND_AT_ONCE; i++)
        if (p->slot[i].easy != NULL && p->slot[i].cluster == k && p->slot[i].due.id == id)
            return true;
    return false;
}

/* Fans out cluster k's outbox and fills free slots with its due deliveries; whether it found work.
 */
static bool refill(pipeline *p, int k)
{
    int64_t now = al_monotonic_ms();
    if (now - p->lease_at[k] >= LEASE_MS / 6 || p->lease_at[k] == 0) {
        p->mine[k] = own_the_sending(k);
        p->lease_at[k] = now;
    }
    if (!p->mine[k])
        return false;
    al_db *db = &dbs.db[k];
    int events = 0;
    al_db_status st = al_outbox_fan_out(db, FAN_OUT_PAGE, &events);
    al_due *due = NULL;
    size_t n = 0;
    /* What is in flight is still pending and comes back: ask for that many more. */
    if (st == AL_DB_OK && p->busy < SEND_AT_ONCE && !atomic_load(&cancelled))
        st = al_deliveries_due(db, key, SEND_AT_ONCE + p->busy, &due, &n);
    size_t added = 0;
    for (size_t i = 0; i < n; i++) {
        int free_slot = -1;
        for (int j = 0; j < SEND_AT_ONCE && free_slot < 0; j++)
            if (p->slot[j].easy == NULL)
                free_slot = j;
        if (free_slot < 0 || in_flight(p, k, due[i].id))
            continue;
        flight *f = &p->slot[free_slot];
        if (prepare(f, &due[i], k)) {
            curl_multi_add_handle(p->multi, f->easy);
            p->busy++;
            added++;
        } else
            flight_free(f);
        memset(&due[i], 0, sizeof(due[i])); /* taken */
    }
    al_due_free(due, n);
    /* The gauges of /metrics: counted once a second, not every refill. */
    int64_t pending = 0, dead = 0;
    if (st == AL_DB_OK && !atomic_load(&cancelled) && now - p->counted_at[k] >= COUNT_EVERY_MS) {
        p->counted_at[k] = now;
        if ((st = al_deliveries_counts(db, &pending, &dead)) == AL_DB_OK)
            al_metrics_webhook_queue(pending, dead);
    }
    healthy[k] = st == AL_DB_OK;
    if (st != AL_DB_OK)
        al_log(AL_LOG_WARN, "webhooks: cluster %d: the database failed (%d); trying again", k,
               (int)st);
    return st == AL_DB_OK && (events > 0 || added > 0);
}

/* Records what finished and frees its slots; how many. */
static int harvest(pipeline *p)
{
    int done = 0, left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        flight *f = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(p->multi, f->easy);
        settle(&dbs.db[f->cluster], f, rc);
        flight_free(f);
        p->busy--;
        done++;
    }
    return done;
}

static void *sender_main(void *arg)
{
    (void)arg;
    al_db_thread_start();
    static pipeline p;
    memset(&p, 0, sizeof(p));
    p.multi = curl_multi_init();
    int64_t next_refill = 0;
    while (p.multi != NULL && !atomic_load(&cancelled)) {
        int64_t now = al_monotonic_ms();
        if (now >= next_refill && p.busy < SEND_AT_ONCE) {
            bool busy = false;
            for (int k = 0; k < dbs.n && !atomic_load(&cancelled); k++)
                busy = refill(&p, k) || busy;
            /* Work found: look again soon; none: after the poll interval. */
            next_refill = al_monotonic_ms() + (busy ? 20 : cfg_copy.webhook_poll_ms);
        }
        int running = 0;
        curl_multi_perform(p.multi, &running);
        if (harvest(&p) > 0 && next_refill > al_monotonic_ms() + 20)
            next_refill = al_monotonic_ms() + 20; /* a slot came free */
        if (p.busy > 0) {
            curl_multi_poll(p.multi, NULL, 0, 50, NULL);
            continue;
        }
        pthread_mutex_lock(&lock);
        int64_t wait = next_refill - al_monotonic_ms();
        struct timespec until = al_deadline_in_ms(wait > 0 ? wait : 0);
        if (!atomic_load(&cancelled) && wait > 0)
            pthread_cond_timedwait(&wake, &lock, &until);
        pthread_mutex_unlock(&lock);
    }
    /* A stop abandons what is in flight: still pending, it is sent again later. */
    for (int i = 0; i < SEND_AT_ONCE; i++)
        if (p.slot[i].easy != NULL) {
            curl_multi_remove_handle(p.multi, p.slot[i].easy);
            flight_free(&p.slot[i]);
        }
    if (p.multi != NULL)
        curl_multi_cleanup(p.multi);
    /* Another node takes over at once; not on a database that stopped answering. */
    for (int k = 0; k < dbs.n; k++)
        if (was_holder[k] && healthy[k] && !atomic_load(&cut))
            al_lease_release(&dbs.db[k], SENDER_LEASE);
    al_db_set_close(&dbs);
    al_db_thread_end();
    return NULL;
}

int al_webhook_sender_start(const al_clusters *clusters, const al_config *cfg,
                            const uint8_t master_key[AL_MASTER_KEY_BYTES])
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        al_log(AL_LOG_ERROR, "cannot start the webhook sender: libcurl does not start");
        return -1;
    }
    cfg_copy = *cfg;
    memcpy(key, master_key, sizeof(key));
    al_db_set_init(&dbs, clusters, (unsigned)cfg->db_connect_timeout_s, (unsigned)cfg->db_timeout_s,
                   -1);
    atomic_store(&cancelled, false);
    atomic_store(&cut, false);
    memset(was_holder, 0, sizeof(was_holder));
    if (pthread_create(&thread, NULL, sender_main, NULL) != 0) {
        al_log(AL_LOG_ERROR, "cannot start the webhook sender");
        al_db_set_free(&dbs);
        OPENSSL_cleanse(key, sizeof(key));
        curl_global_cleanup();
        return -1;
    }
    started = true;
    return 0;
}

void al_webhook_sender_cancel(void)
{
    pthread_mutex_lock(&lock);
    atomic_store(&cancelled, true);
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}

void al_webhook_sender_interrupt(void)
{
    atomic_store(&cut, true);
    pthread_mutex_lock(&life_lock);
    if (started)
        al_db_set_interrupt(&dbs);
    pthread_mutex_unlock(&life_lock);
}

void al_webhook_sender_stop(void)
{
    if (!started)
        return;
    al_webhook_sender_cancel();
    pthread_join(thread, NULL);
    pthread_mutex_lock(&life_lock);
    al_db_set_free(&dbs);
    started = false;
    pthread_mutex_unlock(&life_lock);
    OPENSSL_cleanse(key, sizeof(key));
    curl_global_cleanup();
}
