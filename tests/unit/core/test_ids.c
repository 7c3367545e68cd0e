/* Identifier and secret helpers. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/ids.h"

Test(ids, client_id_rule)
{
    static const char *const good[] = {
        "a", "A-b_c.d:e", "0123456789",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    static const char *const bad[] = {
        "",     "a b", "a/b",  "é",
        "a\tb", "a?b", "a%20", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_expect(al_id_valid(good[i]), "%s should be valid", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect(!al_id_valid(bad[i]), "%s should be invalid", bad[i]);
    cr_expect(!al_id_valid(NULL));
}

Test(ids, listen_addresses)
{
    char host[64];
    int port;
    cr_assert_eq(al_parse_listen("127.0.0.1:8080", host, sizeof(host), &port), 0);
    cr_expect_str_eq(host, "127.0.0.1");
    cr_expect_eq(port, 8080);
    cr_assert_eq(al_parse_listen("[::1]:0", host, sizeof(host), &port), 0);
    cr_expect_str_eq(host, "::1");
    cr_expect_eq(port, 0);
    cr_assert_eq(al_parse_listen("localhost:65535", host, sizeof(host), &port), 0);
    static const char *const bad[] = {"",     "8080", ":80",     "h:",      "h:65536",
                                      "h:-1", "h:8o", "[::1]80", "h:123456"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_neq(al_parse_listen(bad[i], host, sizeof(host), &port), 0, "%s", bad[i]);
}

Test(ids, random_hex_is_fresh)
{
    char a[65], b[65];
    cr_assert_eq(al_random_hex(a, 32), 0);
    cr_assert_eq(al_random_hex(b, 32), 0);
    cr_expect_eq(strlen(a), 64);
    cr_expect_str_neq(a, b);
    for (size_t i = 0; i < 64; i++)
        cr_expect(strchr("0123456789abcdef", a[i]) != NULL);
}

Test(ids, sha256_known_answers)
{
    char out[65];
    al_sha256_hex("", 0, out);
    cr_expect_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    al_sha256_hex("abc", 3, out);
    cr_expect_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(ids, secret_equal)
{
    cr_expect(al_secret_equal("token", "token"));
    cr_expect(!al_secret_equal("token", "tokem"));
    cr_expect(!al_secret_equal("token", "token2"));
    cr_expect(!al_secret_equal("", "x"));
}

Test(ids, whole_numbers_are_all_of_the_text_and_in_range)
{
    long long v = 0;
    cr_expect(al_parse_int("12", 1, 100, &v) && v == 12);
    cr_expect(al_parse_int("-3", -5, 5, &v) && v == -3);
    cr_expect(al_parse_int("0", 0, 0, &v) && v == 0);
    static const char *const bad[] = {
        "1x", "", " 5", "+5", "5 ", "-", "abc", "0x10", "99999999999999999999", "101", "0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_not(al_parse_int(bad[i], 1, 100, &v), "%s taken", bad[i]);
}

Test(ids, database_times_read_as_rfc3339_utc)
{
    char out[AL_RFC3339_MAX];
    al_sql_to_rfc3339("2026-11-01 00:00:00.000000", out);
    cr_expect_str_eq(out, "2026-11-01T00:00:00.000000Z");
    al_sql_to_rfc3339("2026-11-01 18:05:09", out);
    cr_expect_str_eq(out, "2026-11-01T18:05:09.000000Z");
    al_sql_to_rfc3339("2026-11-01 18:05:09.12", out);
    cr_expect_str_eq(out, "2026-11-01T18:05:09.120000Z");
    /* Round trip with the parser. */
    char sql[27];
    cr_assert_eq(al_rfc3339_to_sql("2028-02-29T23:59:59.999999Z", sql), 0);
    al_sql_to_rfc3339(sql, out);
    cr_expect_str_eq(out, "2028-02-29T23:59:59.999999Z");
    al_sql_to_rfc3339("not a time", out);
    cr_expect_str_eq(out, "not a time");
}

Test(ids, rfc3339_offsets_become_utc)
{
    static const struct {
        const char *in, *sql;
    } cases[] = {
        {"2026-11-23T18:50:00+08:00", "2026-11-23 10:50:00.000000"},
        {"2026-11-23T02:50:00.25+08:00", "2026-11-22 18:50:00.250000"}, /* the day before */
        {"2026-12-31T20:30:00-05:30", "2027-01-01 02:00:00.000000"},    /* the year after */
        {"2028-03-01T01:00:00+02:00", "2028-02-29 23:00:00.000000"},    /* a leap day */
        {"2026-11-23T18:50:00+00:00", "2026-11-23 18:50:00.000000"},
        {"2026-11-23T18:50:00-00:00", "2026-11-23 18:50:00.000000"},
        {"2026-11-23t18:50:00z", "2026-11-23 18:50:00.000000"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sql[27] = "";
        cr_expect_eq(al_rfc3339_to_sql(cases[i].in, sql), 0, "%s", cases[i].in);
        cr_expect_str_eq(sql, cases[i].sql, "%s", cases[i].in);
    }
    static const char *const bad[] = {
        "2026-11-23T18:50:00",        /* no offset */
        "2026-11-23T18:50:00+8:00",   /* short hour */
        "2026-11-23T18:50:00+08",     /* no minutes */
        "2026-11-23T18:50:00+0800",   /* no colon */
        "2026-11-23T18:50:00+24:00",  /* past the day */
        "2026-11-23T18:50:00+08:60",  /* past the hour */
        "2026-11-23T18:50:00+08:00Z", /* both */
        "1970-01-01T00:30:00+01:00",  /* before 1970 in UTC */
        "2026-11-23T18:50:00+08:00 ", /* trailing */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char sql[27];
        cr_expect_eq(al_rfc3339_to_sql(bad[i], sql), -1, "%s", bad[i]);
    }
}
