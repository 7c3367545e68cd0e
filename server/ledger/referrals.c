/* Referrals; see referrals.h. Their SQL is here. */
#include "ledger/referrals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/tz.h"
#include "ledger/ledger.h"
#include "rules/rules.h"

al_db_status al_referral_code(al_db *db, const char *tenant, const char *member,
                              char code[AL_REFERRAL_CODE_LEN + 1], bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(member)};
    al_db_status st = AL_DB_OK;
    *found = false;
    for (int tries = 0; tries < 5 && st == AL_DB_OK; tries++) {
        MYSQL_RES *res = NULL;
        MYSQL_ROW row;
        st = al_db_row(db,
                       "SELECT IFNULL(referral_code, '') FROM members "
                       "WHERE tenant_id = ? AND member_id = ?",
                       p, 2, &res, &row);
        *found = st == AL_DB_OK && row != NULL;
        if (*found)
            snprintf(code, AL_REFERRAL_CODE_LEN + 1, "%s", row[0]);
        al_db_free_result(res);
        if (st != AL_DB_OK || !*found || code[0] != '\0')
            return st;
        /* None yet: one is made (a code another member holds is drawn again). */
        char fresh[AL_REFERRAL_CODE_LEN + 1];
        if (al_random_code(fresh, AL_REFERRAL_CODE_LEN) != 0)
            return AL_DB_ERROR;
        al_db_param u[] = {AL_STR(fresh), AL_STR(tenant), AL_STR(member)};
        st = al_db_exec(db,
                        "UPDATE members SET referral_code = ? WHERE tenant_id = ? "
                        "AND member_id = ? AND referral_code IS NULL",
                        u, 3, NULL);
        if (st == AL_DB_DUPLICATE)
            st = AL_DB_OK;
    }
    return st;
}

al_db_status al_member_enrol_referred(al_db *db, const char *tenant, const char *member,
                                      const char *profile, const char *code,
                                      al_enrol_result *result, char referrer[AL_ID_MAX + 1])
{
    *result = AL_ENROL_DONE;
    al_db_status st = al_ledger_begin(db);
    MYSQL_RES *res = NULL;
    MYSQL_ROW row = NULL;
    al_db_param c[] = {AL_STR(tenant), AL_STR(code)};
    if (st == AL_DB_OK)
        st = al_db_row(db,
                       "SELECT member_id FROM members WHERE tenant_id = ? AND referral_code = ? "
                       "LOCK IN SHARE MODE",
                       c, 2, &res, &row);
    if (st == AL_DB_OK && row != NULL)
        snprintf(referrer, AL_ID_MAX + 1, "%s", row[0]);
    al_db_free_result(res);
    if (st == AL_DB_OK && row == NULL)
        *result = AL_ENROL_UNKNOWN_CODE;
    al_db_param m[] = {AL_STR(tenant), AL_STR(member), AL_STR(profile)};
    if (st == AL_DB_OK && *result == AL_ENROL_DONE) {
        st = al_db_exec(db, "INSERT INTO members (tenant_id, member_id, profile) VALUES (?, ?, ?)",
                        m, 3, NULL);
        if (st == AL_DB_DUPLICATE) {
            st = AL_DB_OK;
            *result = AL_ENROL_EXISTS;
        }
    }
    al_db_param r[] = {AL_STR(tenant), AL_STR(member), AL_STR(referrer)};
    if (st == AL_DB_OK && *result == AL_ENROL_DONE)
        st = al_db_exec(db,
                        "INSERT INTO referrals (tenant_id, referee_id, referrer_id) "
                        "VALUES (?, ?, ?)",
                        r, 3, NULL);
    if (st == AL_DB_OK && *result == AL_ENROL_DONE)
        return al_ledger_commit(db);
    al_ledger_rollback(db);
    return st;
}

al_db_status al_referral_view(al_db *db, const char *tenant, const char *member, json_t **out)
{
    char code[AL_REFERRAL_CODE_LEN + 1] = "";
    bool found = false;
    *out = NULL;
    al_db_status st = al_referral_code(db, tenant, member, code, &found);
    if (st != AL_DB_OK)
        return st;
    al_db_param p[] = {AL_STR(tenant), AL_STR(member)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    json_t *by = json_null(), *referees = json_array();
    st = al_db_row(db,
                   "SELECT referrer_id, status, " AL_SQL_RFC3339(
                       "enrolled_at") " FROM referrals "
                                      "WHERE tenant_id = ? AND referee_id = ?",
                   p, 2, &res, &row);
    if (st == AL_DB_OK && row != NULL) {
        json_decref(by);
        by = json_pack("{s:s,s:s,s:s}", "member", row[0], "status", row[1], "enrolled_at", row[2]);
    }
    al_db_free_result(res);
    res = NULL;
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "SELECT referee_id, status, " AL_SQL_RFC3339(
                            "enrolled_at") ", referrer_points FROM referrals "
                                           "WHERE tenant_id = ? AND referrer_id = ? "
                                           "ORDER BY enrolled_at, referee_id LIMIT 100",
                        p, 2, &res);
    while (st == AL_DB_OK && (row = mysql_fetch_row(res)) != NULL)
        json_array_append_new(referees,
                              json_pack("{s:s,s:s,s:s,s:I}", "member", row[0], "status", row[1],
                                        "enrolled_at", row[2], "points_to_referrer",
                                        (json_int_t)strtoll(row[3], NULL, 10)));
    al_db_free_result(res);
    if (st != AL_DB_OK) {
        json_decref(by);
        json_decref(referees);
        return st;
    }
    *out = json_pack("{s:o,s:o,s:o}", "code", code[0] ? json_string(code) : json_null(),
                     "referred_by", by, "referees", referees);
    return AL_DB_OK;
}

/* What the sweep needs of a tenant to judge its referrals. */
typedef struct referral_program {
    const char *tenant;
    al_referral_rule rule;
    int expiry_months;
    const al_tz *tz;
} referral_program;

/* A reward's booking detail: who referred whom, the transaction, the points. */
static char *reward_detail(const char *referrer, const char *referee, const char *partner,
                           const char *transaction, int64_t points)
{
    json_t *d =
        json_pack("{s:{s:s,s:s,s:s,s:s},s:[{s:s,s:I,s:b}]}", "referral", "referrer", referrer,
                  "referee", referee, "partner", partner, "transaction", transaction, "lines",
                  "category", "referral", "points", (json_int_t)points, "qualifying", 0);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return text;
}

/* Rewards (or lapses) one pending referral, in its own transaction; *outcome: 1, -1, 0. */
static al_db_status reward_one(al_db *db, const referral_program *pr, const char *referee,
                               int *outcome)
{
    *outcome = 0;
    al_db_status st = al_ledger_begin(db);
    al_db_param p[] = {AL_INT(pr->rule.within_days), AL_STR(pr->tenant), AL_STR(referee)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row = NULL;
    char referrer[AL_ID_MAX + 1] = "", enrolled[32] = "";
    bool past = false;
    if (st == AL_DB_OK)
        st = al_db_row(db,
                       "SELECT referrer_id, " AL_SQL_DATETIME(
                           "enrolled_at") ", "
                                          "enrolled_at + INTERVAL ? DAY < NOW(6) FROM referrals "
                                          "WHERE tenant_id = ? AND referee_id = ? AND status = "
                                          "'pending' FOR UPDATE",
                       p, 3, &res, &row);
    if (st == AL_DB_OK && row != NULL) {
        snprintf(referrer, sizeof(referrer), "%s", row[0]);
        snprintf(enrolled, sizeof(enrolled), "%s", row[1]);
        past = strcmp(row[2], "1") == 0;
    }
    al_db_free_result(res);
    if (st != AL_DB_OK || referrer[0] == '\0') {
        al_ledger_rollback(db);
        return st;
    }
    /* The first qualifying transaction booked in the window, not reversed in full. */
    char partner[AL_ID_MAX + 1] = "", transaction[AL_ID_MAX + 1] = "";
    al_db_param q[] = {AL_STR(pr->tenant), AL_STR(referee), AL_STR(enrolled), AL_STR(enrolled),
                       AL_INT(pr->rule.within_days)};
    res = NULL;
    st = al_db_row(db,
                   "SELECT t.partner_id, t.transaction_id FROM transactions t JOIN bookings b "
                   "ON b.booking_id = t.booking_id WHERE t.tenant_id = ? AND t.member_id = ? "
                   "AND t.qualifying_points > 0 AND t.reversed_points < t.points "
                   "AND b.booked_at >= ? AND b.booked_at <= ? + INTERVAL ? DAY "
                   "ORDER BY b.booked_at, t.booking_id LIMIT 1",
                   q, 5, &res, &row);
    if (st == AL_DB_OK && row != NULL) {
        snprintf(partner, sizeof(partner), "%s", row[0]);
        snprintf(transaction, sizeof(transaction), "%s", row[1]);
    }
    al_db_free_result(res);
    al_db_param who[] = {AL_STR(pr->tenant), AL_STR(referee)};
    if (st == AL_DB_OK && partner[0] == '\0') {
        if (past) { /* none in time: it lapses */
            st = al_db_exec(db,
                            "UPDATE referrals SET status = 'lapsed' "
                            "WHERE tenant_id = ? AND referee_id = ?",
                            who, 2, NULL);
            *outcome = -1;
        }
        if (st == AL_DB_OK)
            return al_ledger_commit(db);
        al_ledger_rollback(db);
        return st;
    }
    /* The referrer's reward, within its limit this period (the tenant's calendar). */
    char period[16];
    al_period_key(pr->rule.period, al_tz_local(pr->tz, (int64_t)time(NULL)), period);
    int64_t already = 0, to_referrer = pr->rule.referrer_points;
    bool found = false;
    al_db_param c[] = {AL_STR(pr->tenant), AL_STR(referrer), AL_STR(period)};
    if (st == AL_DB_OK && pr->rule.limit > 0) {
        st = al_db_int(db,
                       "SELECT COUNT(*) FROM referrals WHERE tenant_id = ? AND referrer_id = ? "
                       "AND status = 'rewarded' AND referrer_points > 0 AND period_key = ?",
                       c, 3, &already, &found);
        if (already >= pr->rule.limit)
            to_referrer = 0;
    }
    char ref[AL_ID_MAX + 1];
    snprintf(ref, sizeof(ref), "referral:%.55s", referee);
    uint64_t referee_lot = 0, referrer_lot = 0;
    if (st == AL_DB_OK && pr->rule.referee_points > 0) {
        char *detail =
            reward_detail(referrer, referee, partner, transaction, pr->rule.referee_points);
        st = al_ledger_award(db, pr->tenant, referee, pr->rule.referee_points, "referral", ref,
                             detail, pr->expiry_months, &referee_lot);
        free(detail);
    }
    if (st == AL_DB_OK && to_referrer > 0) {
        char *detail = reward_detail(referrer, referee, partner, transaction, to_referrer);
        st = al_ledger_award(db, pr->tenant, referrer, to_referrer, "referral", ref, detail,
                             pr->expiry_months, &referrer_lot);
        free(detail);
    }
    al_db_param u[] = {AL_STR(partner),
                       AL_STR(transaction),
                       AL_INT(to_referrer),
                       AL_INT(pr->rule.referee_points),
                       referrer_lot ? AL_INT((int64_t)referrer_lot) : AL_NULL,
                       referee_lot ? AL_INT((int64_t)referee_lot) : AL_NULL,
                       AL_STR(period),
                       AL_STR(pr->tenant),
                       AL_STR(referee)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE referrals SET status = 'rewarded', partner_id = ?, "
                        "transaction_id = ?, referrer_points = ?, referee_points = ?, "
                        "referrer_lot = ?, referee_lot = ?, period_key = ?, rewarded_at = NOW(6) "
                        "WHERE tenant_id = ? AND referee_id = ?",
                        u, 9, NULL);
    if (st == AL_DB_OK && (st = al_ledger_commit(db)) == AL_DB_OK) {
        *outcome = 1;
        return st;
    }
    al_ledger_rollback(db);
    return st;
}

/* Takes back the rewards of one referral whose transaction was reversed in full. */
static al_db_status take_back_one(al_db *db, const char *tenant, const char *referee, int *done)
{
    *done = 0;
    al_db_status st = al_ledger_begin(db);
    al_db_param p[] = {AL_STR(tenant), AL_STR(referee)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row = NULL;
    char referrer[AL_ID_MAX + 1] = "";
    int64_t to_referrer = 0, to_referee = 0;
    uint64_t referrer_lot = 0, referee_lot = 0;
    if (st == AL_DB_OK)
        st = al_db_row(db,
                       "SELECT r.referrer_id, r.referrer_points, r.referee_points, "
                       "IFNULL(r.referrer_lot, 0), IFNULL(r.referee_lot, 0) FROM referrals r "
                       "JOIN transactions t ON t.tenant_id = r.tenant_id AND t.partner_id = "
                       "r.partner_id AND t.transaction_id = r.transaction_id "
                       "WHERE r.tenant_id = ? AND r.referee_id = ? AND r.status = 'rewarded' "
                       "AND t.reversed_points >= t.points FOR UPDATE",
                       p, 2, &res, &row);
    if (st == AL_DB_OK && row != NULL) {
        snprintf(referrer, sizeof(referrer), "%s", row[0]);
        to_referrer = strtoll(row[1], NULL, 10);
        to_referee = strtoll(row[2], NULL, 10);
        referrer_lot = strtoull(row[3], NULL, 10);
        referee_lot = strtoull(row[4], NULL, 10);
    }
    al_db_free_result(res);
    if (st != AL_DB_OK || referrer[0] == '\0') {
        al_ledger_rollback(db);
        return st;
    }
    char ref[AL_ID_MAX + 1], detail[300];
    snprintf(ref, sizeof(ref), "referral:%.55s", referee);
    snprintf(detail, sizeof(detail),
             "{\"referral\":{\"referrer\":\"%s\",\"referee\":\"%s\"},\"reason\":"
             "\"transaction_reversed\"}",
             referrer, referee);
    if (to_referee > 0)
        st = al_ledger_take_back(db, tenant, referee, to_referee, "referral_back", ref, detail,
                                 referee_lot);
    if (st == AL_DB_OK && to_referrer > 0)
        st = al_ledger_take_back(db, tenant, referrer, to_referrer, "referral_back", ref, detail,
                                 referrer_lot);
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE referrals SET status = 'taken_back', taken_back_at = NOW(6) "
                        "WHERE tenant_id = ? AND referee_id = ?",
                        p, 2, NULL);
    if (st == AL_DB_OK && (st = al_ledger_commit(db)) == AL_DB_OK) {
        *done = 1;
        return st;
    }
    al_ledger_rollback(db);
    return st;
}

#define REFERRAL_PAGE 500

/* The referees of one tenant in a state (and, for rewarded ones, reversed), a page after after. */
static al_db_status referees_page(al_db *db, const char *tenant, bool reversed, const char *after,
                                  MYSQL_RES **res)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(after), AL_INT(REFERRAL_PAGE)};
    return al_db_exec(db,
                      reversed ? "SELECT r.referee_id FROM referrals r JOIN transactions t "
                                 "ON t.tenant_id = r.tenant_id AND t.partner_id = r.partner_id "
                                 "AND t.transaction_id = r.transaction_id "
                                 "WHERE r.tenant_id = ? AND r.status = 'rewarded' "
                                 "AND t.reversed_points >= t.points AND r.referee_id > ? "
                                 "ORDER BY r.referee_id LIMIT ?"
                               : "SELECT referee_id FROM referrals WHERE tenant_id = ? "
                                 "AND status = 'pending' AND referee_id > ? "
                                 "ORDER BY referee_id LIMIT ?",
                      p, 3, res);
}

/* Pass 0 rewards and lapses (with a referral rule only); pass 1 takes back. */
static al_db_status sweep_tenant(al_db *db, const referral_program *pr, bool (*stop)(void),
                                 int *rewarded, int *taken_back, int *lapsed)
{
    al_db_status st = AL_DB_OK;
    for (int pass = pr->rule.on ? 0 : 1; pass < 2 && st == AL_DB_OK; pass++) {
        char after[AL_ID_MAX + 1] = "";
        bool more = true;
        while (more && st == AL_DB_OK && !(stop && stop())) {
            MYSQL_RES *res = NULL;
            st = referees_page(db, pr->tenant, pass == 1, after, &res);
            if (st != AL_DB_OK)
                break;
            more = mysql_num_rows(res) == REFERRAL_PAGE;
            MYSQL_ROW row;
            while (st == AL_DB_OK && (row = mysql_fetch_row(res)) != NULL && !(stop && stop())) {
                snprintf(after, sizeof(after), "%s", row[0]);
                int outcome = 0;
                if (pass == 0) {
                    st = reward_one(db, pr, row[0], &outcome);
                    *rewarded += outcome > 0;
                    *lapsed += outcome < 0;
                } else {
                    st = take_back_one(db, pr->tenant, row[0], &outcome);
                    *taken_back += outcome;
                }
            }
            mysql_free_result(res);
        }
    }
    return st;
}

typedef struct referral_sweep {
    bool (*stop)(void);
    int *rewarded, *taken_back, *lapsed;
} referral_sweep;

static al_db_status sweep_program(al_db *db, const al_program *p, void *ctx)
{
    referral_sweep *w = ctx;
    referral_program pr = {.tenant = p->tenant,
                           .rule = p->rules->referral,
                           .expiry_months = p->expiry_months,
                           .tz = al_tz_get(p->time_zone)};
    return sweep_tenant(db, &pr, w->stop, w->rewarded, w->taken_back, w->lapsed);
}

al_db_status al_ledger_referrals(al_db *db, const char *tenant, bool (*stop)(void), int *rewarded,
                                 int *taken_back, int *lapsed)
{
    *rewarded = *taken_back = *lapsed = 0;
    referral_sweep w = {
        .stop = stop, .rewarded = rewarded, .taken_back = taken_back, .lapsed = lapsed};
    return al_ledger_each_program(db, tenant, stop, sweep_program, &w);
}
