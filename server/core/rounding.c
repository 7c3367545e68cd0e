/* Roundings; see rounding.h. */
#include "core/rounding.h"

bool al_per_mille_fits(__int128 num)
{
    __int128 limit = (__int128)INT64_MAX * 1000; /* well inside: rounding adds under 1 */
    return num < limit && num > -limit;
}

int64_t al_per_mille(__int128 num)
{
    __int128 q = (num < 0 ? -num : num) * 2 + 1000;
    q /= 2000;
    return (int64_t)(num < 0 ? -q : q);
}

int64_t al_pro_rata(int64_t points, int64_t num, int64_t den)
{
    __int128 p = (__int128)points * num;
    return (int64_t)((2 * p + den) / (2 * (__int128)den));
}
