/* Tenants' setup versions: when what a server kept is still good (tenants/versions.c). */
#include <stdio.h>

#include <criterion/criterion.h>

#include "tenants/versions.h"

Test(versions, kept_data_is_fresh_until_a_newer_version_is_seen)
{
    uint64_t epoch = al_setup_epoch("v-a");
    cr_expect(al_setup_fresh("v-a", 3, epoch), "nothing seen yet: what was read is good");
    al_setup_seen("v-a", 3);
    cr_expect(al_setup_fresh("v-a", 3, epoch));
    al_setup_seen("v-a", 4);
    cr_expect_not(al_setup_fresh("v-a", 3, epoch), "read at 3, 4 seen: stale");
    cr_expect(al_setup_fresh("v-a", 4, epoch));
    al_setup_seen("v-a", 2); /* an older read never moves it back */
    cr_expect_not(al_setup_fresh("v-a", 3, epoch));
    cr_expect(al_setup_fresh("v-b", 1, al_setup_epoch("v-b")), "tenants are apart");
    al_setup_versions_free();
}

Test(versions, this_servers_own_change_makes_what_it_kept_stale_at_once)
{
    al_setup_seen("v-c", 7);
    uint64_t epoch = al_setup_epoch("v-c");
    cr_expect(al_setup_fresh("v-c", 7, epoch));
    al_setup_forget("v-c");
    cr_expect_not(al_setup_fresh("v-c", 7, epoch));
    cr_expect(al_setup_fresh("v-c", 7, al_setup_epoch("v-c")), "read again after: good");
    al_setup_versions_free();
}

Test(versions, many_tenants_keep_their_own_versions)
{
    char name[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "many-%d", i);
        al_setup_seen(name, i + 1);
    }
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "many-%d", i);
        cr_expect(al_setup_fresh(name, i + 1, al_setup_epoch(name)));
        cr_expect_not(al_setup_fresh(name, i, al_setup_epoch(name)));
    }
    al_setup_versions_free();
}

/* A booking's check at commit: stale only if the read came after a change, or two came since. */
Test(versions, a_read_is_stale_only_if_a_change_came_before_it)
{
    cr_expect_not(al_setup_stale(5, 1000, 5, 900), "unchanged");
    cr_expect_not(al_setup_stale(5, 1000, 6, 1500), "one change, after the read");
    cr_expect(al_setup_stale(5, 1000, 6, 900), "one change, before the read");
    cr_expect(al_setup_stale(5, 1000, 7, 1500), "two changes since: the first's time is unknown");
}
