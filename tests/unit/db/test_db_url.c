/* The database URL parser. */
#include <string.h>

#include <criterion/criterion.h>

#include "db/db_url.h"

Test(db_url, full_forms)
{
    al_db_url u;
    char err[256];
    cr_assert_eq(
        al_db_url_parse("mysql://alliance:s3cr:t@localhost/alliance?socket=/v/db.sock", &u, err), 0,
        "%s", err);
    cr_expect_str_eq(u.user, "alliance");
    cr_expect_str_eq(u.password, "s3cr:t");
    cr_expect_str_eq(u.host, "localhost");
    cr_expect_eq(u.port, 0);
    cr_expect_str_eq(u.database, "alliance");
    cr_expect_str_eq(u.socket, "/v/db.sock");

    cr_assert_eq(al_db_url_parse("mysql://root@db.example:3307/loyalty_1", &u, err), 0);
    cr_expect_str_eq(u.user, "root");
    cr_expect_str_eq(u.password, "");
    cr_expect_str_eq(u.host, "db.example");
    cr_expect_eq(u.port, 3307);
    cr_expect_str_eq(u.database, "loyalty_1");
    cr_expect_str_eq(u.socket, "");
}

Test(db_url, refusals)
{
    static const char *const bad[] = {
        "",
        "postgres://a@b/c",
        "mysql://",
        "mysql://host/db",
        "mysql://@host/db",
        "mysql://u@/db",
        "mysql://u@host/",
        "mysql://u@host/db-name",
        "mysql://u@host/db;drop",
        "mysql://u@host:/db",
        "mysql://u@host:99999/db",
        "mysql://u@host:12a/db",
        "mysql://u@host/db?sock=/x",
        "mysql://u@host/db?socket=",
        "mysql://u@host/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        al_db_url u;
        char err[256] = "";
        cr_expect_neq(al_db_url_parse(bad[i], &u, err), 0, "accepted %s", bad[i]);
        cr_expect_neq(err[0], '\0', "no message for %s", bad[i]);
    }
}

Test(db_url, percent_decoding_lets_a_password_hold_anything)
{
    al_db_url u;
    char err[256];
    cr_assert_eq(
        al_db_url_parse("mysql://app%3Aone:p%40ss%2Fw%3Ard%25@db.example:3306/alliance", &u, err),
        0, "%s", err);
    cr_expect_str_eq(u.user, "app:one");
    cr_expect_str_eq(u.password, "p@ss/w:rd%");
    cr_expect_str_eq(u.host, "db.example");
    cr_expect_eq(u.port, 3306);
    cr_expect_str_eq(u.database, "alliance");

    /* Raw, as people write them: the host follows the last '@'. */
    cr_assert_eq(
        al_db_url_parse("mysql://app:p@s/s:x@localhost/alliance?socket=/v/my%20db.sock", &u, err),
        0, "%s", err);
    cr_expect_str_eq(u.password, "p@s/s:x");
    cr_expect_str_eq(u.host, "localhost");
    cr_expect_str_eq(u.socket, "/v/my db.sock");

    static const char *const bad[] = {
        "mysql://app:p%4@h/d",   /* short escape */
        "mysql://app:p%zz@h/d",  /* not hex */
        "mysql://app:p%00x@h/d", /* NUL */
        "mysql://a%@h/d",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(al_db_url_parse(bad[i], &u, err), -1, "%s", bad[i]);
}
