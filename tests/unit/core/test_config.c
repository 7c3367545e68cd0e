/* Configuration: defaults, the file, the environment, and every refusal. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/config.h"

#define CASES ALLIANCE_SOURCE_DIR "/tests/unit/core/config_cases"

Test(config, defaults)
{
    al_config c;
    cr_assert_eq(al_config_defaults(&c), 0);
    cr_expect_str_eq(c.listen, "127.0.0.1:8080");
    cr_expect_eq(c.threads, 2);
    cr_expect_eq(c.max_body_bytes, 1048576);
    cr_expect_str_eq(c.tls_cert, "");
    char err[AL_CONFIG_ERR_MAX];
    cr_expect_eq(al_config_check(&c, err), 0);
    al_config_free(&c);
}

Test(config, file_values_apply)
{
    al_config c;
    char err[AL_CONFIG_ERR_MAX] = "";
    al_config_defaults(&c);
    const char *text = "{\"listen\":\"0.0.0.0:9000\",\"threads\":8,"
                       "\"tls\":{\"cert\":\"c.pem\",\"key\":\"k.pem\"},\"log_level\":\"warn\"}";
    cr_assert_eq(al_config_load_json(&c, text, strlen(text), err), 0, "%s", err);
    cr_expect_str_eq(c.listen, "0.0.0.0:9000");
    cr_expect_eq(c.threads, 8);
    cr_expect_str_eq(c.tls_cert, "c.pem");
    cr_expect_str_eq(c.tls_key, "k.pem");
    cr_expect_str_eq(c.log_level, "warn");
    cr_expect_eq(al_config_check(&c, err), 0);
    al_config_free(&c);
}

/* Table-driven: each invalid/NAME.json must fail with NAME.error in the message. */
Test(config, invalid_files_are_refused_naming_the_key)
{
    DIR *d = opendir(CASES "/invalid");
    cr_assert(d != NULL);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[512], expected[256] = "", text[4096] = "";
        snprintf(path, sizeof(path), CASES "/invalid/%.*s.error", (int)(len - 5), e->d_name);
        FILE *f = fopen(path, "r");
        cr_assert(f != NULL, "%s has no .error file", e->d_name);
        cr_assert(fgets(expected, sizeof(expected), f) != NULL);
        fclose(f);
        expected[strcspn(expected, "\n")] = '\0';
        snprintf(path, sizeof(path), CASES "/invalid/%s", e->d_name);
        f = fopen(path, "r");
        size_t tl = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);

        al_config c;
        char err[AL_CONFIG_ERR_MAX] = "";
        al_config_defaults(&c);
        cr_expect_neq(al_config_load_json(&c, text, tl, err), 0, "%s was accepted", e->d_name);
        cr_expect(strstr(err, expected) != NULL, "%s: \"%s\" lacks \"%s\"", e->d_name, err,
                  expected);
        al_config_free(&c);
        n++;
    }
    closedir(d);
    cr_expect_geq(n, 10, "only %d cases found", n);
}

static const char *fake_env(const char *name)
{
    static const char *const vars[][2] = {
        {"ALLIANCE_LISTEN", "127.0.0.1:18080"},  {"ALLIANCE_THREADS", "4"},
        {"ALLIANCE_OPERATOR_TOKEN", "xyz"},      {"ALLIANCE_TLS_KEY", "k.pem"},
        {"ALLIANCE_PLUGIN_DIR", "/opt/plugins"},
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (strcmp(vars[i][0], name) == 0)
            return vars[i][1];
    return NULL;
}

Test(config, environment_overrides_every_key)
{
    al_config c;
    char err[AL_CONFIG_ERR_MAX] = "";
    al_config_defaults(&c);
    const char *text = "{\"listen\":\"0.0.0.0:9000\",\"threads\":8,\"operator_token\":\"f\"}";
    cr_assert_eq(al_config_load_json(&c, text, strlen(text), err), 0);
    cr_assert_eq(al_config_load_env(&c, fake_env, err), 0, "%s", err);
    cr_expect_str_eq(c.listen, "127.0.0.1:18080");
    cr_expect_eq(c.threads, 4);
    cr_expect_str_eq(c.operator_token, "xyz");
    cr_expect_str_eq(c.tls_key, "k.pem");
    cr_expect_str_eq(c.plugin_dir, "/opt/plugins");
    /* A key without its certificate is refused as a whole. */
    cr_expect_neq(al_config_check(&c, err), 0);
    cr_expect(strstr(err, "tls.cert and tls.key") != NULL);
    al_config_free(&c);
}

static const char *bad_env(const char *name)
{
    return strcmp(name, "ALLIANCE_THREADS") == 0 ? "four" : NULL;
}

Test(config, bad_environment_value_names_the_variable)
{
    al_config c;
    char err[AL_CONFIG_ERR_MAX] = "";
    al_config_defaults(&c);
    cr_expect_neq(al_config_load_env(&c, bad_env, err), 0);
    cr_expect(strstr(err, "ALLIANCE_THREADS") != NULL, "%s", err);
    cr_expect_eq(c.threads, 2, "a refused value changes nothing");
    al_config_free(&c);
}

Test(config, describe_lists_every_variable)
{
    char buf[4096];
    al_config_describe(buf, sizeof(buf));
    static const char *const vars[] = {"ALLIANCE_LISTEN",         "ALLIANCE_DB",
                                       "ALLIANCE_OPERATOR_TOKEN", "ALLIANCE_THREADS",
                                       "ALLIANCE_PLUGIN_DIR",     "ALLIANCE_TLS_CERT",
                                       "ALLIANCE_TLS_KEY",        "ALLIANCE_MAX_BODY_BYTES"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        cr_expect(strstr(buf, vars[i]) != NULL, "%s missing", vars[i]);
}

Test(config, comment_lines_are_skipped_and_errors_keep_their_line)
{
    al_config c;
    char err[AL_CONFIG_ERR_MAX] = "";
    al_config_defaults(&c);
    const char *text = "# a comment\n{\n  # another, indented\n  \"listen\": \"0.0.0.0:9001\",\n"
                       "  \"pid_file\": \"/run/a#b.pid\"\n}\n";
    cr_assert_eq(al_config_load_json(&c, text, strlen(text), err), 0, "%s", err);
    cr_expect_str_eq(c.listen, "0.0.0.0:9001");
    cr_expect_str_eq(c.pid_file, "/run/a#b.pid", "a '#' inside a value is the value's");
    const char *bad = "# one\n# two\n{\"threads\": }\n";
    cr_expect_neq(al_config_load_json(&c, bad, strlen(bad), err), 0);
    cr_expect(strstr(err, "line 3") != NULL, "%s", err);
    al_config_free(&c);
}

Test(config, print_config_reads_back_as_the_same_configuration)
{
    al_config c, back;
    char err[AL_CONFIG_ERR_MAX] = "";
    al_config_defaults(&c);
    const char *text =
        "{\"listen\":\"0.0.0.0:9002\",\"threads\":6,\"db_clusters\":\"e=mysql://a@h/d\","
        "\"tls\":{\"cert\":\"c \\\"q\\\".pem\",\"key\":\"k.pem\"},"
        "\"operator_token\":\"a-secret-that-is-long-enough-0123456789\"}";
    cr_assert_eq(al_config_load_json(&c, text, strlen(text), err), 0, "%s", err);
    char *printed = al_config_print(&c);
    cr_assert(printed != NULL);
    cr_expect(strstr(printed, "a-secret") == NULL, "a secret was printed");
    al_config_defaults(&back);
    cr_assert_eq(al_config_load_json(&back, printed, strlen(printed), err), 0, "%s\n%s", err,
                 printed);
    cr_expect_str_eq(back.listen, "0.0.0.0:9002");
    cr_expect_eq(back.threads, 6);
    cr_expect_str_eq(back.db_clusters, "e=mysql://a@h/d");
    cr_expect_str_eq(back.tls_cert, "c \"q\".pem");
    cr_expect_str_eq(back.operator_token, "");
    free(printed);
    al_config_free(&c);
    al_config_free(&back);
}
