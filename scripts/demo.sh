#!/usr/bin/env bash
# The demo alliance's partners and story (make run calls it). The demo bank is made once
# (its key and secret in var/demo-partner, shown by make run); the story is told once
# (var/demo-story marks it done): three partners of different kinds, program rules with tiers and promotions, 18 months of
# history dated from today (members active, lapsing, lost and new; points that have not
# expired), live earnings and a redemption through the partners' signed API, and a closed,
# signed settlement period.
#
#   scripts/demo.sh BASE ADMIN_KEY
#
# The partners' keys are kept in var/demo-partners ("id key secret" a line), since the server
# shows a secret only once.
set -uo pipefail
cd "$(dirname "$0")/.."
umask 077 # the partners' secrets it keeps are private
base=$1
admin=$2
say() { echo "   demo: $*"; }
api() { # METHOD PATH [BODY]: the answer on stdout
  curl -s -X "$1" "$base$2" -H "Authorization: Bearer $admin" ${3:+-d "$3"}
}

# Partners: a bank, an insurer and a shop.
touch var/demo-partners
add_partner() { # ID NAME PLUGIN CONFIG
  grep -q "^$1 " var/demo-partners && return 0
  local reply kid sec
  reply=$(api POST /v1/partners "{\"id\":\"$1\",\"name\":\"$2\",\"plugin\":\"$3\",\"config\":$4,
    \"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":800,\"redeem_minor_per_1000\":600}}")
  kid=$(printf '%s' "$reply" | sed -n 's/.*"key_id":"\([^"]*\)".*/\1/p')
  sec=$(printf '%s' "$reply" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
  if [ -n "$kid" ]; then echo "$1 $kid $sec" >>var/demo-partners; else say "partner $1: $reply"; fi
}
# The bank, on every run until it exists: make run shows its key.
if [ ! -s var/demo-partner ]; then
  add_partner demo-bank "Demo Bank" bank '{"currency":"CNY","spend_minor_per_point":100,
    "mcc_multipliers":{"5411":2},"excluded_mcc":["6011"]}'
  grep '^demo-bank ' var/demo-partners | cut -d' ' -f2- >var/demo-partner
fi
[ -e var/demo-story ] && exit 0
echo "== the demo alliance's story (the first time: about a minute)"

add_partner demo-insure "Demo Insurance" insurer '{"currency":"CNY","premium_minor_per_point":200,
  "renewal_bonus_points":500,"claim_free_bonus_pct_per_year":10,"claim_free_bonus_pct_max":50}'
add_partner demo-shop "Demo Shop" retailer '{"currency":"CNY","minor_per_point":100,
  "category_multipliers":{"fresh":2}}'
say "partners: demo-bank (bank), demo-insure (insurer), demo-shop (retailer)"

# The program: tiers, a weekend promotion at the shop, the cross-partner bonus, an event.
api PUT /v1/rules '{
  "tiers": {"window_months": 12, "levels": [
    {"name": "normal", "threshold": 0},
    {"name": "silver", "threshold": 2000, "multiplier_pct": 110},
    {"name": "gold", "threshold": 8000, "multiplier_pct": 125}]},
  "promotions": [
    {"id": "shop-weekend-x2", "multiplier_pct": 200, "partners": ["demo-shop"], "days_of_week": [6, 7]},
    {"id": "gold-bonus", "bonus_points": 50, "tiers": ["gold"], "cap": {"points": 200, "period": "month"}}],
  "cross_partner_bonus": {"points": 100},
  "events": {"survey_completed": {"points": 50, "limit": 1, "period": "month"}}}' >/dev/null
say "rules: tiers normal/silver/gold, a weekend x2 at the shop, a gold bonus, a cross-partner bonus"

# 18 months of history, dated from today: 120 active members, 50 lapsing (stopped 4 to 7 months
# ago), 40 lost (stopped over a year ago), 30 new (joined in the last two months). POSIX awk.
today=$(($(date -u +%s) / 86400))
awk -v today="$today" '
  function ymd(days,   z, era, doe, yoe, y, doy, mp, d, m) { # days since 1970-01-01 -> Y-M-D
    z = days + 719468; era = int(z / 146097); doe = z - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
    mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
    m = mp < 10 ? mp + 3 : mp - 9; y += (m <= 2)
    return sprintf("%04d-%02d-%02d", y, m, d)
  }
  function line(partner, member, day, amount, points) {
    n++
    printf "{\"id\":\"story-%d\",\"partner\":\"%s\",\"member\":\"%s\",", n, partner, member
    printf "\"occurred_at\":\"%sT%02d:%02d:00Z\",\"amount_minor\":%d,\"points\":%d}\n",
      ymd(day), 9 + int(rand() * 10), int(rand() * 60), amount, points
  }
  BEGIN {
    srand(2026)
    for (i = 1; i <= 240; i++) {
      member = sprintf("m%04d", i)
      if (i <= 120) { first = today - 300 - int(rand() * 240); last = today - int(rand() * 14) }
      else if (i <= 170) { first = today - 420 - int(rand() * 120); last = today - 120 - int(rand() * 90) }
      else if (i <= 210) { last = today - 400 - int(rand() * 140); first = last - 200 - int(rand() * 100) }
      else { first = today - 5 - int(rand() * 55); last = today - int(rand() * 5) }
      shop = rand() < 0.6; insured = rand() < 0.3
      # Each member their own pace and basket: exponential gaps around a mean of their own.
      pace = 6 + int(-log(1 - rand()) * 25); basket = 3000 + int(-log(1 - rand()) * 12000)
      for (day = last; day >= first; day -= 1 + int(-log(1 - rand()) * pace)) {
        amount = int(basket * (0.5 + rand()))
        line("demo-bank", member, day, amount, int(amount / 100))
        if (shop && rand() < 0.5) {
          amount = int(basket * (0.2 + rand() * 0.6))
          line("demo-shop", member, day - int(rand() * 3), amount, int(amount / 100))
        }
      }
      for (day = last - int(rand() * 30); insured && day >= first; day -= 365) {
        amount = 200000 + int(rand() * 400000)
        line("demo-insure", member, day, amount, int(amount / 200))
      }
    }
  }' | split -l 5000 - var/demo-story-part-
lines=0
for part in var/demo-story-part-*; do
  reply=$(curl -s -X POST "$base/v1/import/transactions" -H "Authorization: Bearer $admin" \
    --data-binary @"$part")
  lines=$((lines + $(wc -l <"$part")))
  printf '%s' "$reply" | grep -q '"imported"' || say "import: $reply"
  rm -f "$part"
done
say "history: $lines purchases of 240 members over 18 months, imported"

# Live activity through the partners' signed API: tiers, promotions and the bonus at work.
read -r bank_key bank_secret <var/demo-partner
read -r _ shop_key shop_secret < <(grep '^demo-shop ' var/demo-partners)
stamp=$(date -u +%s)
for i in 1 2 3 4 5 6 7 8; do
  member=$(printf 'm%04d' "$i")
  scripts/partner-curl.sh "$base" "$bank_key" "$bank_secret" POST /v1/transactions \
    "{\"id\":\"live-$stamp-b$i\",\"member\":\"$member\",\"data\":{\"type\":\"purchase\",
      \"amount_minor\":$((20000 + i * 1000)),\"currency\":\"CNY\",\"mcc\":\"5411\"}}" >/dev/null
  scripts/partner-curl.sh "$base" "$shop_key" "$shop_secret" POST /v1/transactions \
    "{\"id\":\"live-$stamp-s$i\",\"member\":\"$member\",\"data\":{\"type\":\"purchase\",
      \"currency\":\"CNY\",\"lines\":[{\"sku\":\"apples\",\"category\":\"fresh\",\"qty\":2,
      \"unit_minor\":1500},{\"sku\":\"kettle\",\"category\":\"home\",\"qty\":1,\"unit_minor\":9900}]}}" \
    >/dev/null
done
scripts/partner-curl.sh "$base" "$shop_key" "$shop_secret" POST /v1/redemptions \
  "{\"id\":\"live-$stamp-r1\",\"member\":\"m0001\",\"points\":500}" >/dev/null
say "live: 16 earnings at the bank and the shop (tier bonuses, the cross-partner bonus) and a redemption"

# A closed settlement period: today so far. A period closes once its end is 5 s past.
start=$(date -u +%Y-%m-%dT00:00:00Z)
end=$(date -u -d "@$(($(date -u +%s) + 1))" +%Y-%m-%dT%H:%M:%SZ)
sleep 7
reply=$(api POST /v1/settlements "{\"period_start\":\"$start\",\"period_end\":\"$end\"}")
id=$(printf '%s' "$reply" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
closed=$( [ -n "$id" ] && api POST "/v1/settlements/$id/close" )
if printf '%s' "$closed" | grep -q '"status":"closed"'; then
  echo "$id" >var/demo-statement
  say "settlement: statement $id of $start to $end closed and signed"
else
  say "settlement: ${closed:-$reply}"
fi
touch var/demo-story
