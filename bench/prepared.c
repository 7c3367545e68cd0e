/*
 * Prepared statements against the text protocol, for the statement a set
 * writes most: a multi-row INSERT of bookings (15 rows, as a batch at full
 * load holds). One connection sends it again and again for a few seconds,
 * first as text with escaped values (what the committers send), then
 * prepared once and executed with bound values (the binary protocol); the
 * database's CPU (from /proc) a statement is what prepared statements could
 * save. Loopback only (the socket); bounded by time.
 *
 *   prepared --socket S --db-pid P [--seconds N]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#define ROWS 15
#define COLS 9

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU of a process, in seconds. */
static double cpu_of(long pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    unsigned long long ut = 0, st = 0;
    int ok = fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
    fclose(f);
    return ok == 2 ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) : 0;
}

static const char *head = "INSERT INTO b (tenant_id, kind, from_account, to_account, points, "
                          "member_id, partner_id, ref_id, detail) VALUES ";

static const char *detail = "{\"points\":246,\"lines\":[{\"category\":\"mcc:5411\",\"points\":123,"
                            "\"qualifying\":true},{\"category\":\"promo:groceries\",\"points\":"
                            "123,\"qualifying\":false}],\"tier\":\"normal\",\"rules_version\":1}";

static int fail(MYSQL *m, const char *what)
{
    fprintf(stderr, "prepared: %s: %s\n", what, mysql_error(m));
    return 1;
}

int main(int argc, char **argv)
{
    const char *sock = NULL;
    long db_pid = 0;
    int seconds = 5;
    static const struct option longopts[] = {
        {"socket", 1, 0, 's'}, {"db-pid", 1, 0, 'p'}, {"seconds", 1, 0, 'd'}, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 's': sock = optarg; break;
        case 'p': db_pid = atol(optarg); break;
        case 'd': seconds = atoi(optarg); break;
        default: return 2;
        }
    }
    if (sock == NULL || db_pid <= 0 || seconds < 1 || seconds > 60) {
        fprintf(stderr, "usage: prepared --socket S --db-pid P [--seconds N<=60]\n");
        return 2;
    }
    MYSQL *m = mysql_init(NULL);
    if (mysql_real_connect(m, NULL, "root", NULL, NULL, 0, sock, 0) == NULL)
        return fail(m, "connect");
    if (mysql_query(m, "CREATE DATABASE IF NOT EXISTS bench_prepared") != 0 ||
        mysql_query(m, "USE bench_prepared") != 0 ||
        mysql_query(m, "DROP TABLE IF EXISTS b") != 0 ||
        mysql_query(m, "CREATE TABLE b (booking_id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
                       "tenant_id VARCHAR(64) NOT NULL, kind VARCHAR(16) NOT NULL, "
                       "from_account VARCHAR(160) NOT NULL, to_account VARCHAR(160) NOT NULL, "
                       "points BIGINT NOT NULL, member_id VARCHAR(64) NOT NULL, "
                       "partner_id VARCHAR(64), ref_id VARCHAR(64), detail MEDIUMTEXT, "
                       "booked_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), "
                       "KEY (tenant_id, member_id, booking_id), KEY (tenant_id, booked_at)) "
                       "ENGINE=InnoDB") != 0)
        return fail(m, "set-up");
    if (mysql_autocommit(m, 0) != 0) /* a commit every 50 statements, as in a batch */
        return fail(m, "autocommit");

    /* Text: the values escaped into the statement, as the committers build it. */
    static char sql[65536];
    char esc[1024];
    mysql_real_escape_string(m, esc, detail, strlen(detail));
    double t0 = now_s(), c0 = cpu_of(db_pid), end = t0 + seconds;
    long text_n = 0;
    while (now_s() < end) {
        size_t len = (size_t)snprintf(sql, sizeof(sql), "%s", head);
        for (int r = 0; r < ROWS; r++)
            len += (size_t)snprintf(sql + len, sizeof(sql) - len,
                                    "%s('bench','earn','partner:bank:issued','member:m%ld',%d,"
                                    "'m%ld','bank','t-%ld-%d','%s')",
                                    r ? "," : "", text_n % 10000, 100 + r, text_n % 10000, text_n,
                                    r, esc);
        if (mysql_real_query(m, sql, (unsigned long)len) != 0)
            return fail(m, "text insert");
        if (++text_n % 50 == 0 && mysql_commit(m) != 0)
            return fail(m, "commit");
    }
    mysql_commit(m);
    double text_s = now_s() - t0, text_cpu = cpu_of(db_pid) - c0;

    /* Prepared: the same statement, its values bound (binary protocol). */
    size_t len = (size_t)snprintf(sql, sizeof(sql), "%s", head);
    for (int r = 0; r < ROWS; r++)
        len +=
            (size_t)snprintf(sql + len, sizeof(sql) - len, "%s(?,?,?,?,?,?,?,?,?)", r ? "," : "");
    MYSQL_STMT *stmt = mysql_stmt_init(m);
    if (mysql_stmt_prepare(stmt, sql, (unsigned long)len) != 0)
        return fail(m, "prepare");
    static MYSQL_BIND bind[ROWS * COLS];
    static char member[ROWS][32], ref[ROWS][32], acct[ROWS][48];
    static unsigned long member_len[ROWS], ref_len[ROWS], acct_len[ROWS];
    static long long points[ROWS];
    static const char *fixed[] = {"bench", "earn", "partner:bank:issued", "bank"};
    static unsigned long fixed_len[4], detail_len;
    for (int i = 0; i < 4; i++)
        fixed_len[i] = (unsigned long)strlen(fixed[i]);
    detail_len = (unsigned long)strlen(detail);
    memset(bind, 0, sizeof(bind));
    for (int r = 0; r < ROWS; r++) {
        MYSQL_BIND *b = &bind[r * COLS];
        const void *buf[COLS] = {fixed[0],  fixed[1], fixed[2], acct[r], &points[r],
                                 member[r], fixed[3], ref[r],   detail};
        unsigned long *lens[COLS] = {&fixed_len[0], &fixed_len[1], &fixed_len[2],
                                     &acct_len[r],  NULL,          &member_len[r],
                                     &fixed_len[3], &ref_len[r],   &detail_len};
        for (int c = 0; c < COLS; c++) {
            b[c].buffer_type = c == 4 ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_STRING;
            b[c].buffer = (void *)buf[c];
            b[c].length = lens[c];
        }
    }
    if (mysql_stmt_bind_param(stmt, bind) != 0)
        return fail(m, "bind");
    t0 = now_s();
    c0 = cpu_of(db_pid);
    end = t0 + seconds;
    long prep_n = 0;
    while (now_s() < end) {
        for (int r = 0; r < ROWS; r++) {
            points[r] = 100 + r;
            member_len[r] =
                (unsigned long)snprintf(member[r], sizeof(member[r]), "m%ld", prep_n % 10000);
            acct_len[r] =
                (unsigned long)snprintf(acct[r], sizeof(acct[r]), "member:m%ld", prep_n % 10000);
            ref_len[r] = (unsigned long)snprintf(ref[r], sizeof(ref[r]), "p-%ld-%d", prep_n, r);
        }
        if (mysql_stmt_execute(stmt) != 0)
            return fail(m, "execute");
        if (++prep_n % 50 == 0 && mysql_commit(m) != 0)
            return fail(m, "commit");
    }
    mysql_commit(m);
    double prep_s = now_s() - t0, prep_cpu = cpu_of(db_pid) - c0;
    mysql_stmt_close(stmt);
    mysql_query(m, "DROP DATABASE bench_prepared");
    mysql_close(m);
    printf("text: %.0f statements/s, %.1f us of database CPU a statement; prepared: %.0f "
           "statements/s, %.1f us a statement; prepared/text CPU=%.2f (%d-row bookings INSERTs, "
           "one connection)\n",
           (double)text_n / text_s, text_cpu * 1e6 / (double)text_n, (double)prep_n / prep_s,
           prep_cpu * 1e6 / (double)prep_n,
           (prep_cpu / (double)prep_n) / (text_cpu / (double)text_n), ROWS);
    return 0;
}
