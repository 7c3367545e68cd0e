/* The ledger's account names and balance shards (ledger/accounts.c). */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ledger/accounts.h"

Test(accounts, names)
{
    char a[AL_ACCOUNT_MAX];
    al_member_account(a, "alice");
    cr_expect_str_eq(a, "member:alice");
    cr_expect(al_is_member_account(a));
    al_partner_account(a, "bank-1", "issued");
    cr_expect_str_eq(a, "partner:bank-1:issued");
    cr_expect(!al_is_member_account(a));
    al_partner_account(a, "bank-1", "redeemed");
    cr_expect_str_eq(a, "partner:bank-1:redeemed");
    cr_expect(!al_is_member_account(AL_ACCOUNT_BREAKAGE));
    cr_expect(!al_is_member_account(AL_ACCOUNT_REWARDS));
    cr_expect_str_eq(AL_SQL_MEMBER_ACCOUNTS, "'member:%'");
}

Test(accounts, shards)
{
    /* A member's account has one row; other accounts spread over the shards. */
    cr_expect_eq(al_shard_of("member:alice", "alice", 3), 0);
    cr_expect_eq(al_shard_of("member:alice", "alice", -1), 0);
    /* A committer's lane writes its own shard, whoever the member. */
    cr_expect_eq(al_shard_of("partner:p:issued", "alice", 3), 3);
    cr_expect_eq(al_shard_of("partner:p:issued", "bob", 3), 3);
    cr_expect_eq(al_shard_of("alliance:breakage", "bob", AL_BALANCE_SHARDS + 5), 5);
    /* Without a lane: chosen by the member, the same every time, within range. */
    int64_t s = al_shard_of("partner:p:issued", "alice", -1);
    cr_expect(s >= 0 && s < AL_BALANCE_SHARDS);
    cr_expect_eq(al_shard_of("partner:q:redeemed", "alice", -1), s);
    int used[AL_BALANCE_SHARDS] = {0}, distinct = 0;
    char member[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(member, sizeof(member), "m%d", i);
        int64_t k = al_shard_of("partner:p:issued", member, -1);
        cr_assert(k >= 0 && k < AL_BALANCE_SHARDS);
        distinct += used[k]++ == 0;
    }
    cr_expect_eq(distinct, AL_BALANCE_SHARDS, "a thousand members use every shard");
}
