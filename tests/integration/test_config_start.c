/* Starting the binary: --help, --version, bad configuration, --migrate. */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

TestSuite(start, .timeout = 60);

Test(start, version_and_help)
{
    char out[8192];
    const char *const version[] = {"--version", NULL};
    cr_expect_eq(run_binary(NULL, version, out, sizeof(out)), 0);
    cr_expect(strstr(out, "allianced ") != NULL, "%s", out);
    const char *const help[] = {"--help", NULL};
    cr_expect_eq(run_binary(NULL, help, out, sizeof(out)), 0);
    static const char *const vars[] = {"ALLIANCE_LISTEN",         "ALLIANCE_DB",
                                       "ALLIANCE_OPERATOR_TOKEN", "ALLIANCE_THREADS",
                                       "ALLIANCE_PLUGIN_DIR",     "ALLIANCE_TLS_CERT"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        cr_expect(strstr(out, vars[i]) != NULL, "--help does not mention %s", vars[i]);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    fputs(text, f);
    fclose(f);
}

Test(start, bad_configuration_stops_the_start_naming_the_key)
{
    static const struct {
        const char *file;     /* config file text, or NULL */
        const char *env;      /* one override, or NULL */
        const char *expected; /* in the message */
    } cases[] = {
        {"{\"listen\":\"127.0.0.1:0\",\"colour\":\"blue\"}", NULL, "unknown key colour"},
        {"{\"tls\":{\"cert\":\"a\",\"kye\":\"b\"}}", NULL, "unknown key tls.kye"},
        {"{\"threads\":\"two\"}", NULL, "threads must be an integer"},
        {"{\"threads\":0}", NULL, "threads must be an integer from 1"},
        {"{\"listen\":\"nowhere\"}", NULL, "listen must be host:port"},
        {"{not json", NULL, "config: line 1"},
        {NULL, "ALLIANCE_THREADS=abc", "ALLIANCE_THREADS: threads"},
        {NULL, "ALLIANCE_LISTEN=127.0.0.1:99999", "ALLIANCE_LISTEN: listen"},
        {NULL, "ALLIANCE_MAX_BODY_BYTES=12", "ALLIANCE_MAX_BODY_BYTES: max_body_bytes"},
        {NULL, "ALLIANCE_LOG_LEVEL=loud", "ALLIANCE_LOG_LEVEL: log_level"},
        {NULL, "ALLIANCE_DB=postgres://x", "mysql://"},
        {NULL, "ALLIANCE_TLS_CERT=/tmp/only-cert.pem", "tls.cert and tls.key go together"},
        {NULL, "ALLIANCE_OPERATOR_TOKEN=short-and-guessable",
         "operator_token must be at least 32 characters"},
    };
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/var/tmp/cfg-XXXXXX", ALLIANCE_SOURCE_DIR);
    cr_assert(mkdtemp(dir) != NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[400], out[8192];
        snprintf(path, sizeof(path), "%s/case.conf", dir);
        const char *args[] = {"--config", path, NULL};
        const char *env[] = {cases[i].env, NULL};
        if (cases[i].file != NULL)
            write_file(path, cases[i].file);
        int code =
            run_binary(cases[i].env ? env : NULL, cases[i].file ? args : NULL, out, sizeof(out));
        cr_expect_eq(code, 2, "case %zu: exit %d: %s", i, code, out);
        cr_expect(strstr(out, cases[i].expected) != NULL, "case %zu: %s", i, out);
    }
}

Test(start, config_file_is_read_and_env_overrides_it)
{
    char dir[300], path[400];
    snprintf(dir, sizeof(dir), "%s/var/tmp/cfg-XXXXXX", ALLIANCE_SOURCE_DIR);
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/ok.conf", dir);
    /* The file's token is overridden by the harness's ALLIANCE_OPERATOR_TOKEN. */
    write_file(path, "{\"threads\":3,\"operator_token\":\"from-file\",\"log_level\":\"info\"}");
    const char *const args[] = {"--config", path, NULL};
    const char *const env[] = {"ALLIANCE_THREADS", NULL}; /* unset: the file decides */
    test_server s;
    server_start(&s, env, args);
    static const char *const line[] = {"3 workers", NULL};
    cr_expect(log_has_line(&s, line), "threads from the file not used");
    response r = http(&s, "POST", "/v1/tenants", "from-file", "{\"id\":\"x\",\"name\":\"x\"}");
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    cr_expect_eq(server_stop(&s), 0);
}

Test(start, migrate_applies_once_and_refuses_an_edited_migration)
{
    char dir[300], cmd[1200], db_env[600], schema_env[400], out[8192];
    snprintf(dir, sizeof(dir), "%s/var/tmp/mig-XXXXXX", ALLIANCE_SOURCE_DIR);
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof(cmd), "cp %s/schema/*.sql %s/", ALLIANCE_SOURCE_DIR, dir);
    cr_assert_eq(system(cmd), 0);

    /* A database of its own, so the shared test database is left alone. */
    const char *url = getenv("ALLIANCE_TEST_DB");
    const char *q = strchr(url, '?');
    char name[64];
    snprintf(name, sizeof(name), "alliance_mig_%d", (int)getpid());
    snprintf(db_env, sizeof(db_env), "ALLIANCE_DB=mysql://alliance:alliance@localhost/%s%s", name,
             q ? q : "");
    snprintf(schema_env, sizeof(schema_env), "ALLIANCE_SCHEMA_DIR=%s", dir);
    const char *const env[] = {db_env, schema_env, NULL};
    const char *const args[] = {"--migrate", NULL};

    cr_expect_eq(run_binary(env, args, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "applying migration 001_tenants.sql") != NULL, "%s", out);
    cr_expect_eq(run_binary(env, args, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "applying migration") == NULL, "applied twice: %s", out);
    cr_expect(strstr(out, "0 applied now") != NULL, "%s", out);

    snprintf(cmd, sizeof(cmd), "echo '-- edited' >> %s/001_tenants.sql", dir);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(run_binary(env, args, out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "001_tenants.sql changed after it was applied") != NULL, "%s", out);

    char sql[128], ignored[16];
    snprintf(sql, sizeof(sql), "DROP DATABASE %s", name);
    db_scalar(sql, ignored, sizeof(ignored));
}

Test(start, the_pid_file_names_this_server_for_signals_and_goes_at_exit)
{
    char dir[300], env_pid[400], path[350];
    snprintf(dir, sizeof(dir), "%s/var/tmp/pid-XXXXXX", ALLIANCE_SOURCE_DIR);
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/allianced.pid", dir);
    snprintf(env_pid, sizeof(env_pid), "ALLIANCE_PID_FILE=%s", path);
    const char *const env[] = {env_pid, NULL};
    test_server s;
    server_start(&s, env, NULL);
    FILE *f = fopen(path, "r");
    long pid = 0;
    cr_assert(f != NULL, "no pid file at %s", path);
    cr_expect_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    cr_expect_eq(pid, (long)s.pid, "the pid file names this server");
    /* The documented way to reload the plugins: kill -HUP $(cat the pid file). */
    char cmd[500];
    snprintf(cmd, sizeof(cmd), "kill -HUP $(cat %s)", path);
    cr_expect_eq(system(cmd), 0);
    static const char *const reload[] = {"SIGHUP: reloading plugins", NULL};
    for (int i = 0; i < 50 && !log_has_line(&s, reload); i++)
        usleep(100 * 1000);
    cr_expect(log_has_line(&s, reload));
    cr_expect_eq(server_stop(&s), 0, "see %s", s.log_path);
    cr_expect_neq(access(path, F_OK), 0, "the pid file is gone once the server has stopped");
}

/* A database of its own for a migration test: ALLIANCE_DB=... into db_env, its name into name. */
static void own_database(const char *tag, char name[64], char db_env[600])
{
    const char *url = getenv("ALLIANCE_TEST_DB");
    const char *q = strchr(url, '?');
    snprintf(name, 64, "alliance_%s_%d", tag, (int)getpid());
    snprintf(db_env, 600, "ALLIANCE_DB=mysql://alliance:alliance@localhost/%s%s", name, q ? q : "");
}

static void drop_database(const char *name)
{
    char sql[128], ignored[16];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
    db_scalar(sql, ignored, sizeof(ignored));
}

static int64_t migrations_recorded(const char *name)
{
    char sql[160], out[32];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s.schema_migrations", name);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    return strtoll(out, NULL, 10);
}

/* Another server's migration lease (a row in leases) is waited out, not broken. */
Test(start, migrate_waits_out_another_servers_lease, .timeout = 60)
{
    char name[64], db_env[600], sql[400], ignored[16], out[8192];
    own_database("lease", name, db_env);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    cr_assert_eq(db_scalar(sql, ignored, sizeof(ignored)), 0);
    snprintf(sql, sizeof(sql),
             "CREATE TABLE %s.leases (name VARCHAR(128) NOT NULL PRIMARY KEY, holder VARCHAR(96) "
             "NOT NULL, expires_at DATETIME(6) NOT NULL)",
             name);
    cr_assert_eq(db_scalar(sql, ignored, sizeof(ignored)), 0);
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s.leases VALUES ('migrate', 'elsewhere/1/000000', "
             "NOW(6) + INTERVAL 3 SECOND)",
             name);
    cr_assert_eq(db_scalar(sql, ignored, sizeof(ignored)), 0);
    const char *const env[] = {db_env, NULL};
    const char *const args[] = {"--migrate", NULL};
    int64_t t0 = now_ms();
    cr_expect_eq(run_binary(env, args, out, sizeof(out)), 0, "%s", out);
    int64_t took = now_ms() - t0;
    cr_expect_geq(took, 2000, "it did not wait for the lease: %lld ms", (long long)took);
    cr_expect(strstr(out, "applying migration 001_tenants.sql") != NULL, "%s", out);
    cr_expect_gt(migrations_recorded(name), 10);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s.leases WHERE name = 'migrate'", name);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "0", "the lease is given up when the migration is done");
    drop_database(name);
}

typedef struct {
    const char *const *env;
    char out[8192];
    int rc;
} migrator;

static void *migrate_one(void *arg)
{
    migrator *m = arg;
    static const char *const args[] = {"--migrate", NULL};
    m->rc = run_binary(m->env, args, m->out, sizeof(m->out));
    return NULL;
}

/* Three servers starting together on an empty database: one migrates, the others wait for it. */
Test(start, servers_starting_together_migrate_once, .timeout = 90)
{
    char name[64], db_env[600];
    own_database("together", name, db_env);
    const char *const env[] = {db_env, NULL};
    migrator m[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        m[i].env = env;
        m[i].rc = -1;
        cr_assert_eq(pthread_create(&t[i], NULL, migrate_one, &m[i]), 0);
    }
    int applied = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        cr_expect_eq(m[i].rc, 0, "%s", m[i].out);
        applied += strstr(m[i].out, "applying migration 001_tenants.sql") != NULL;
    }
    cr_expect_eq(applied, 1, "001 was applied by %d servers", applied);
    char sql[200], out[32];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s.tenants", name);
    cr_expect_eq(db_scalar(sql, out, sizeof(out)), 0, "the schema is whole");
    drop_database(name);
}

/* Runs a shell command; its exit status, its output (stdout and stderr) in out. */
static int shell(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int shell(char *out, size_t size, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static bool file_has(const char *path, const char *needle)
{
    char out[16384];
    if (shell(out, sizeof(out), "cat '%s'", path) != 0)
        return false;
    return strstr(out, needle) != NULL;
}

/*
 * make install lays out a service: the binaries, the plugins, the schema, a
 * commented config with absolute paths that the installed server starts
 * with, and a sandboxed systemd unit naming them; a second install keeps the
 * config an operator may have edited.
 */
Test(start, make_install_lays_out_a_service, .timeout = 120)
{
    char prefix[300], out[16384], path[600];
    snprintf(prefix, sizeof(prefix), "%s/var/tmp/inst-XXXXXX", ALLIANCE_SOURCE_DIR);
    cr_assert(mkdtemp(prefix) != NULL);
    cr_assert_eq(
        shell(out, sizeof(out), "cmake --install %s --prefix %s 2>&1", ALLIANCE_BUILD_DIR, prefix),
        0, "%s", out);
    static const char *const files[] = {"bin/allianced",
                                        "bin/alliancectl",
                                        "lib/allianced/plugins/bank.so",
                                        "share/allianced/schema/001_tenants.sql",
                                        "etc/allianced/allianced.conf",
                                        "lib/systemd/system/allianced.service",
                                        "include/alliance/plugin.h"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", prefix, files[i]);
        cr_expect(access(path, F_OK) == 0, "make install left out %s", files[i]);
    }

    char unit[400], conf[400], want[900];
    snprintf(unit, sizeof(unit), "%s/lib/systemd/system/allianced.service", prefix);
    snprintf(conf, sizeof(conf), "%s/etc/allianced/allianced.conf", prefix);
    snprintf(want, sizeof(want), "ExecStart=%s/bin/allianced --config %s", prefix, conf);
    cr_expect(file_has(unit, want), "the unit does not run the installed server: %s", want);
    static const char *const sandbox[] = {"DynamicUser=yes",
                                          "NoNewPrivileges=yes",
                                          "ProtectSystem=strict",
                                          "ProtectHome=yes",
                                          "PrivateTmp=yes",
                                          "CapabilityBoundingSet=\n",
                                          "SystemCallFilter=@system-service"};
    for (size_t i = 0; i < sizeof(sandbox) / sizeof(sandbox[0]); i++)
        cr_expect(file_has(unit, sandbox[i]), "the unit lacks %s", sandbox[i]);
    snprintf(want, sizeof(want), "\"schema_dir\": \"%s/share/allianced/schema\"", prefix);
    cr_expect(file_has(conf, want), "the config's paths are not absolute: %s", want);
    cr_expect(file_has(conf, "# db (ALLIANCE_DB; default"), "the config explains its keys");

    cr_expect_eq(shell(out, sizeof(out), "%s/bin/alliancectl --help", prefix), 0, "%s", out);

    /* The installed server migrates a database of its own with the installed config alone. */
    char name[64], db_env[600];
    own_database("inst", name, db_env);
    cr_expect_eq(shell(out, sizeof(out), "env -i %s %s/bin/allianced --config %s --migrate 2>&1",
                       db_env, prefix, conf),
                 0, "%s", out);
    snprintf(want, sizeof(want), "schema from %s/share/allianced/schema", prefix);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    cr_expect_gt(migrations_recorded(name), 10);
    drop_database(name);

    /* Installed again: an edited config stays, the new one goes beside it. */
    cr_assert_eq(shell(out, sizeof(out), "echo '# edited' >> %s && cmake --install %s --prefix %s",
                       conf, ALLIANCE_BUILD_DIR, prefix),
                 0, "%s", out);
    cr_expect(file_has(conf, "# edited"), "make install overwrote the config");
    snprintf(path, sizeof(path), "%s.default", conf);
    cr_expect(access(path, F_OK) == 0, "no allianced.conf.default beside it");
}
