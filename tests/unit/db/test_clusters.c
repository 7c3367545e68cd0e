/* The database clusters of db and db_clusters. */
#include <string.h>

#include <criterion/criterion.h>

#include "db/clusters.h"

#define MAIN "mysql://alliance:alliance@localhost/alliance"

Test(clusters, main_alone_and_with_others)
{
    al_clusters c;
    char err[256];
    cr_assert_eq(al_clusters_parse(MAIN, "", &c, err), 0, "%s", err);
    cr_expect_eq(c.n, 1);
    cr_expect_str_eq(c.names[0], "main");
    cr_expect_str_eq(c.urls[0].database, "alliance");

    cr_assert_eq(al_clusters_parse(MAIN,
                                   "  east=mysql://a:b@10.0.3.11:3307/alliance\n"
                                   "west-2=mysql://a@localhost/alliance_w?socket=/v/w.sock ",
                                   &c, err),
                 0, "%s", err);
    cr_expect_eq(c.n, 3);
    cr_expect_str_eq(c.names[1], "east");
    cr_expect_str_eq(c.urls[1].host, "10.0.3.11");
    cr_expect_eq(c.urls[1].port, 3307);
    cr_expect_str_eq(c.names[2], "west-2");
    cr_expect_str_eq(c.urls[2].socket, "/v/w.sock");
    cr_expect_eq(al_cluster_find(&c, "west-2"), 2);
    cr_expect_eq(al_cluster_find(&c, "main"), 0);
    cr_expect_eq(al_cluster_find(&c, "north"), -1);
}

Test(clusters, refuses_what_it_cannot_use)
{
    static const struct {
        const char *extra, *says;
    } cases[] = {
        {"east", "is not name=URL"},
        {"=mysql://a@h/d", "is not name=URL"},
        {"East=mysql://a@h/d", "is not name=URL"},
        {"a.b=mysql://a@h/d", "is not name=URL"},
        {"east=postgres://a@h/d", "east:"},
        {"east=mysql://a@h/d east=mysql://a@h/e", "east is named twice"},
        {"main=mysql://a@h/d", "main is named twice"},
        {"a=mysql://a@h/d b=mysql://a@h/d c=mysql://a@h/d d=mysql://a@h/d e=mysql://a@h/d "
         "f=mysql://a@h/d g=mysql://a@h/d h=mysql://a@h/d",
         "at most 8 clusters"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        al_clusters c;
        char err[256] = "";
        cr_expect_eq(al_clusters_parse(MAIN, cases[i].extra, &c, err), -1, "%s", cases[i].extra);
        cr_expect(strstr(err, cases[i].says) != NULL, "%s: %s", cases[i].extra, err);
    }
    al_clusters c;
    char err[256] = "";
    cr_expect_eq(al_clusters_parse("nope", "", &c, err), -1);
    cr_expect(strstr(err, "db:") != NULL, "%s", err);
}
