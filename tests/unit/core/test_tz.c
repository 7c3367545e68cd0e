/*
 * Time zones read from the system's tzdata: offsets across a year and at
 * summer time's edges, local days, the way back to UTC, and names refused.
 */
#include <criterion/criterion.h>

#include "core/tz.h"

#define JAN_1_2026 1767225600LL
#define JUL_1_2026 1782864000LL
#define BERLIN_SUMMER_2026 1774746000LL /* 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST */
#define BERLIN_WINTER_2026 1792890000LL /* 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET */

TestSuite(tz, .fini = al_tz_free_all);

Test(tz, offsets_across_the_year_and_at_the_summer_time_edges)
{
    const al_tz *sh = al_tz_get("Asia/Shanghai"), *berlin = al_tz_get("Europe/Berlin");
    const al_tz *ny = al_tz_get("America/New_York"), *utc = al_tz_get("UTC");
    cr_assert(sh && berlin && ny && utc, "tzdata is installed (scripts/deps.sh)");
    cr_expect_eq(al_tz_offset(sh, JAN_1_2026), 8 * 3600);
    cr_expect_eq(al_tz_offset(sh, JUL_1_2026), 8 * 3600);
    cr_expect_eq(al_tz_offset(berlin, JAN_1_2026), 3600);
    cr_expect_eq(al_tz_offset(berlin, JUL_1_2026), 7200);
    cr_expect_eq(al_tz_offset(berlin, BERLIN_SUMMER_2026 - 1), 3600);
    cr_expect_eq(al_tz_offset(berlin, BERLIN_SUMMER_2026), 7200);
    cr_expect_eq(al_tz_offset(berlin, BERLIN_WINTER_2026 - 1), 7200);
    cr_expect_eq(al_tz_offset(berlin, BERLIN_WINTER_2026), 3600);
    cr_expect_eq(al_tz_offset(ny, JAN_1_2026), -5 * 3600);
    cr_expect_eq(al_tz_offset(ny, JUL_1_2026), -4 * 3600);
    cr_expect_eq(al_tz_offset(utc, JUL_1_2026), 0);
    cr_expect_eq(al_tz_offset(NULL, JUL_1_2026), 0, "no zone is UTC");
    cr_expect_eq(al_tz_get("Asia/Shanghai"), sh, "a zone is read once");
}

Test(tz, local_days_and_back_to_utc)
{
    const al_tz *sh = al_tz_get("Asia/Shanghai");
    /* 2025-12-31 20:00 UTC is already 2026-01-01 in Shanghai. */
    int64_t t = JAN_1_2026 - 4 * 3600;
    cr_expect_eq(t / 86400, JAN_1_2026 / 86400 - 1);
    cr_expect_eq(al_tz_local(sh, t) / 86400, JAN_1_2026 / 86400);
    /* Shanghai's midnight of 2026-01-01 is 16:00 UTC the day before. */
    cr_expect_eq(al_tz_utc(sh, JAN_1_2026), JAN_1_2026 - 8 * 3600);
    const al_tz *berlin = al_tz_get("Europe/Berlin");
    cr_expect_eq(al_tz_utc(berlin, JUL_1_2026), JUL_1_2026 - 7200);
    cr_expect_eq(al_tz_utc(berlin, JAN_1_2026), JAN_1_2026 - 3600);
}

Test(tz, names_that_are_no_zone)
{
    static const char *const bad[] = {
        "",        "Mars/Olympus", "../etc/passwd", "/etc/passwd", "Asia/../UTC", "Asia/Sh anghai",
        ".hidden", "zone.tab"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_null(al_tz_get(bad[i]), "%s", bad[i]);
    cr_expect(!al_tz_name_valid("a/b/../c"));
    cr_expect(al_tz_name_valid("America/Argentina/Buenos_Aires"));
    cr_expect(al_tz_name_valid("Etc/GMT+8"));
}
