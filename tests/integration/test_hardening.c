/*
 * Hardening (issue 14), the points that need no server of their own: the
 * private database is no way to root, and make run's secrets are private.
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* The folder of the test database's socket. */
static void socket_dir(char *out, size_t size)
{
    const char *sock = getenv("ALLIANCE_TEST_DB_SOCKET");
    cr_assert(sock != NULL);
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", sock);
    snprintf(out, size, "%s", dirname(copy));
}

Test(hardening, the_application_user_cannot_write_files_through_the_database)
{
    char out[512];
    /* FILE is a global privilege: with it, a local user could write a root-owned file. */
    cr_expect_neq(
        db_scalar("SELECT 'x' INTO DUMPFILE '/tmp/allianced-dumpfile-test'", out, sizeof(out)), 0,
        "the application user wrote a file through the database");
    cr_expect_neq(access("/tmp/allianced-dumpfile-test", F_OK), 0);
    unlink("/tmp/allianced-dumpfile-test");
    cr_expect_neq(db_scalar("SELECT COUNT(*) FROM mysql.user", out, sizeof(out)), 0,
                  "the application user reads the server's own tables");
    /* Its grants name the project's databases only: nothing but USAGE on *.*. */
    cr_assert_eq(db_scalar("SELECT COUNT(*) FROM information_schema.user_privileges "
                           "WHERE GRANTEE LIKE '%alliance%' AND PRIVILEGE_TYPE <> 'USAGE'",
                           out, sizeof(out)),
                 0);
    cr_expect_str_eq(out, "0", "global privileges of the application user: %s", out);
}

Test(hardening, the_database_runs_unprivileged_behind_a_private_folder)
{
    char dir[512], pidf[600], proc[64];
    socket_dir(dir, sizeof(dir));
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    cr_expect_eq(st.st_mode & 077, 0, "%s is open to others: %o", dir, st.st_mode & 0777);

    snprintf(pidf, sizeof(pidf), "%s/mysqld.pid", dir);
    FILE *f = fopen(pidf, "r");
    cr_assert(f != NULL, "no %s", pidf);
    long pid = 0;
    cr_assert_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    snprintf(proc, sizeof(proc), "/proc/%ld", pid);
    cr_assert_eq(stat(proc, &st), 0);
    cr_expect_neq(st.st_uid, 0, "mariadbd runs as root");
}

Test(hardening, make_runs_secrets_are_readable_by_their_owner_only)
{
    char dir[300], cmd[700], path[400];
    snprintf(dir, sizeof(dir), "%s/var/tmp/secrets-XXXXXX", ALLIANCE_SOURCE_DIR);
    cr_assert(mkdtemp(dir) != NULL);
    /* One written by an older checkout, readable by all. */
    snprintf(path, sizeof(path), "%s/demo-admin-key", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    fputs("ak_old\n", f);
    fclose(f);
    chmod(path, 0644);
    snprintf(cmd, sizeof(cmd), "%s/scripts/secrets.sh %s", ALLIANCE_SOURCE_DIR, dir);
    cr_assert_eq(system(cmd), 0);
    const char *files[] = {"operator-token", "master-key", "settlement-key", "demo-admin-key"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        cr_assert_eq(stat(path, &st), 0, "no %s", files[i]);
        cr_expect_eq(st.st_mode & 0777, 0600, "%s: %o", files[i], st.st_mode & 0777);
        cr_expect_gt(st.st_size, 0);
    }
    /* The operator token it makes is long enough for the server to start with. */
    snprintf(path, sizeof(path), "%s/operator-token", dir);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_geq(st.st_size, 33);
}
