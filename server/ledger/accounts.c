/* Account names; see accounts.h. */
#include "ledger/accounts.h"

#include <stdio.h>
#include <string.h>

#include "core/ids.h"

void al_member_account(char out[AL_ACCOUNT_MAX], const char *member)
{
    snprintf(out, AL_ACCOUNT_MAX, "member:%s", member);
}

void al_partner_account(char out[AL_ACCOUNT_MAX], const char *partner, const char *side)
{
    snprintf(out, AL_ACCOUNT_MAX, "partner:%s:%s", partner, side);
}

bool al_is_member_account(const char *account)
{
    return strncmp(account, "member:", 7) == 0;
}

int64_t al_shard_of(const char *account, const char *member, int lane)
{
    if (al_is_member_account(account))
        return 0;
    return lane >= 0 ? lane % AL_BALANCE_SHARDS : (int64_t)(al_id_hash(member) % AL_BALANCE_SHARDS);
}
