/* The roundings of money and points (core/rounding.c), to the unit. */
#include <stdint.h>

#include <criterion/criterion.h>

#include "core/rounding.h"

Test(rounding, per_mille_half_away_from_zero)
{
    cr_expect_eq(al_per_mille(0), 0);
    cr_expect_eq(al_per_mille(499), 0);
    cr_expect_eq(al_per_mille(500), 1, "half rounds away from zero");
    cr_expect_eq(al_per_mille(1499), 1);
    cr_expect_eq(al_per_mille(1500), 2);
    cr_expect_eq(al_per_mille(-500), -1);
    cr_expect_eq(al_per_mille(-1499), -1);
    cr_expect_eq(al_per_mille(-1500), -2);
    /* 12,345 points at 800 minor per 1000: 9,876 minor exactly. */
    cr_expect_eq(al_per_mille((__int128)12345 * 800), 9876);
    /* Far past int64 before the division: exact. */
    __int128 big = (__int128)INT64_MAX * 1000;
    cr_expect_eq(al_per_mille(big), INT64_MAX);
}

Test(rounding, pro_rata_half_up)
{
    cr_expect_eq(al_pro_rata(100, 1, 3), 33);
    cr_expect_eq(al_pro_rata(200, 1, 3), 67);
    cr_expect_eq(al_pro_rata(1, 1, 2), 1, "a half rounds up");
    cr_expect_eq(al_pro_rata(3, 1, 2), 2);
    cr_expect_eq(al_pro_rata(123, 0, 5), 0);
    cr_expect_eq(al_pro_rata(123, 5, 5), 123, "the whole");
    /* 10,000 points of a 12,345 purchase, 2,345 refunded: 1,899.55... -> 1,900. */
    cr_expect_eq(al_pro_rata(10000, 2345, 12345), 1900);
    /* No overflow in the product. */
    cr_expect_eq(al_pro_rata(INT64_MAX, INT64_MAX, INT64_MAX), INT64_MAX);
}
