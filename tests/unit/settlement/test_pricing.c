/*
 * Statement lines priced by hand (settlement/statement.c): one rounding a
 * line, reversals back at the issue price, the alliance's own and imported
 * points issued but billed to nobody, and the reconciliation identity.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "settlement/statement.h"

static al_period_row row(const char *partner, const char *kind, const char *currency,
                         int64_t points, int64_t issue, int64_t redeem, int64_t delta)
{
    al_period_row r = {.points = points,
                       .issue_per_1000 = issue,
                       .redeem_per_1000 = redeem,
                       .member_delta = delta};
    snprintf(r.partner, sizeof(r.partner), "%s", partner);
    snprintf(r.kind, sizeof(r.kind), "%s", kind);
    snprintf(r.currency, sizeof(r.currency), "%s", currency);
    return r;
}

Test(pricing, one_rounding_a_line)
{
    /*
     * bank: 1,001 points earned at 800 (800.8) and 1 more under a later
     * contract at 900 (0.9): one line, 801.7 -> 802, not 801 + 1. 250
     * reversed at 800: -200. shop: 333 redeemed at 600 = 199.8 -> 200.
     */
    al_period_row rows[] = {
        row("bank", "earn", "CNY", 1001, 800, 600, 1001),
        row("bank", "earn", "CNY", 1, 900, 600, 1),
        row("bank", "reversal", "CNY", 250, 800, 600, -250),
        row("shop", "redeem", "CNY", 333, 500, 600, -333),
        row("", "expire", "", 40, 0, 0, -40),
        row("", "event", "", 10, 0, 0, 10),
        row("bank", "import", "CNY", 500, 800, 600, 500),
    };
    al_period_sums s = {0};
    cr_assert_eq(al_period_sums_add(&s, rows, sizeof(rows) / sizeof(rows[0])), 0);
    cr_assert_eq(s.n, 2);
    const al_statement_line *bank = &s.lines[0], *shop = &s.lines[1];
    cr_expect_str_eq(bank->partner, "bank");
    cr_expect_eq(bank->issued, 1002);
    cr_expect_eq(bank->reversed, 250);
    cr_expect_eq(al_line_fee(bank), 602, "801.7 - 200 = 601.7, rounded once");
    cr_expect_eq(al_line_reimbursement(bank), 0);
    cr_expect_str_eq(shop->partner, "shop");
    cr_expect_eq(shop->redeemed, 333);
    cr_expect_eq(al_line_reimbursement(shop), 200);
    cr_expect_eq(al_line_fee(shop), 0);
    cr_expect_eq(s.issued_all, 1002 + 10 + 500, "earned, the alliance's event, imported");
    cr_expect_eq(s.expired, 40);
    cr_expect_eq(s.member_delta, 1001 + 1 - 250 - 333 - 40 + 10 + 500);
    /* opening 100 + issued 1512 - reversed 250 - redeemed 333 - expired 40 = 989 */
    int64_t closing = 100 + s.member_delta;
    cr_expect_eq(closing, 989);
    cr_expect(al_reconciles(100, s.issued_all, 250, 333, 40, closing, closing));
    cr_expect(!al_reconciles(100, s.issued_all, 250, 333, 40, closing, closing + 1),
              "the balances disagree");
    cr_expect(!al_reconciles(100, s.issued_all, 250, 333, 41, closing, closing));
    al_period_sums_free(&s);
}

Test(pricing, negative_fees_round_away_from_zero)
{
    /* More reversed than earned in the period: a credit, rounded like a charge. */
    al_period_row rows[] = {
        row("bank", "earn", "EUR", 1, 500, 0, 1),
        row("bank", "reversal", "EUR", 4, 500, 0, -4),
    };
    al_period_sums s = {0};
    cr_assert_eq(al_period_sums_add(&s, rows, 2), 0);
    cr_expect_eq(al_line_fee(&s.lines[0]), -2, "-1.5 rounds to -2");
    al_period_sums_free(&s);
}

Test(pricing, sums_past_2_63_are_refused_not_wrapped)
{
    al_period_sums s = {0};
    al_period_row big[] = {row("bank", "earn", "CNY", INT64_MAX / 2 + 1, 800, 600, 0),
                           row("bank", "earn", "CNY", INT64_MAX / 2 + 1, 800, 600, 0)};
    cr_expect_eq(al_period_sums_add(&s, big, 2), AL_SUMS_RANGE);
    al_period_sums_free(&s);
    /* Points that fit, at a price whose money does not: refused as well. */
    al_period_row pricey[] = {row("bank", "earn", "CNY", INT64_MAX / 2, 1000000, 600, 0)};
    cr_expect_eq(al_period_sums_add(&s, pricey, 1), AL_SUMS_RANGE);
    al_period_sums_free(&s);
    al_period_row fine[] = {row("bank", "earn", "CNY", 1000000000000LL, 1000000, 600, 0)};
    cr_expect_eq(al_period_sums_add(&s, fine, 1), 0);
    cr_expect_eq(al_line_fee(&s.lines[0]), 1000000000000000LL);
    al_period_sums_free(&s);
}
