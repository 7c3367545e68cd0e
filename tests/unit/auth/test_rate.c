/* Token buckets (auth/rate.c), on a clock the test moves. */
#include <criterion/criterion.h>

#include "auth/rate.h"

Test(rate, a_burst_then_the_rate_then_a_full_bucket_again)
{
    al_rate r = {.per_second = 10, .burst = 3};
    int64_t t = 1000000, wait = 0;
    for (int i = 0; i < 3; i++)
        cr_expect(al_rate_take("u:a", r, t, &wait), "token %d of the burst", i);
    cr_expect_not(al_rate_take("u:a", r, t, &wait));
    cr_expect_eq(wait, 1, "a tenth of a second, said as 1 s");
    /* 100 ms later: exactly one token. */
    cr_expect(al_rate_take("u:a", r, t + 100000, &wait));
    cr_expect_not(al_rate_take("u:a", r, t + 100000, &wait));
    /* An hour later: the bucket is full (3), not 36,000. */
    int ok = 0;
    for (int i = 0; i < 10; i++)
        ok += al_rate_take("u:a", r, t + 3600000000LL, &wait);
    cr_expect_eq(ok, 3);
    /* Another key has its own bucket; no rate, no limit. */
    cr_expect(al_rate_take("u:b", r, t, &wait));
    al_rate none = {0};
    for (int i = 0; i < 100; i++)
        cr_expect(al_rate_take("u:a", none, t, &wait));
    /* A burst of 0 is the rate. */
    al_rate plain = {.per_second = 2};
    cr_expect(al_rate_take("u:c", plain, t, &wait));
    cr_expect(al_rate_take("u:c", plain, t, &wait));
    cr_expect_not(al_rate_take("u:c", plain, t, &wait));
}
