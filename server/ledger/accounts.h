/*
 * The ledger's account names, in one place: member:<id>,
 * partner:<id>:issued|redeemed, and the alliance's own (breakage, rewards);
 * and the balance rows (shards) a busy account is spread over.
 */
#ifndef AL_ACCOUNTS_H
#define AL_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#define AL_ACCOUNT_MAX 160

/* Balance rows a partner's or the alliance's account is spread over (schema/004). */
#define AL_BALANCE_SHARDS 32

/* Where expired points go, and where the alliance's own rewards (events) come from. */
#define AL_ACCOUNT_BREAKAGE "alliance:breakage"
#define AL_ACCOUNT_REWARDS "alliance:rewards"

/* SQL LIKE pattern (quoted) of every member's account. */
#define AL_SQL_MEMBER_ACCOUNTS "'member:%'"

void al_member_account(char out[AL_ACCOUNT_MAX], const char *member);
void al_partner_account(char out[AL_ACCOUNT_MAX], const char *partner, const char *side);
bool al_is_member_account(const char *account);

/*
 * The balance row (shard) a booking of member's uses for account: 0 for a
 * member's account; for the others the lane's own shard (a committer's
 * number, its connection's lane), or with no lane (-1) one chosen by the member.
 */
int64_t al_shard_of(const char *account, const char *member, int lane);

#endif
