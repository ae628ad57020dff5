import { BUDGET_LUA_PRELUDE } from "./prelude.js";

/**
 * settle: after a call, replaces its hold by what it actually used, capped at the hold: `used` grows by
 * min(actual, held) per unit, never more, so a scope's `used` can never pass its limit (reserve only holds what fits).
 * A call that used more than its hold (a provider ignoring maxOutputTokens) has the excess reported (`overHold`)
 * and recorded in the run's books, not in the budget. Idempotent on the reservation id.
 *
 * KEYS: totals, res, closed of one scope (prelude.ts).
 * ARGV[1] reservationId
 * ARGV[2] tokens      actual tokens (input + output), decimal integer >= 0
 * ARGV[3] microUsd    actual cost in micro-dollars, decimal integer >= 0
 * ARGV[4] ttlSeconds  lifetime of the scope's keys after this write (0 = unchanged)
 *
 * Returns {status, heldTokens, heldMicroUsd, usedTokens, usedMicroUsd, limitTokens, limitMicroUsd, closedAs,
 * chargedTokens, chargedMicroUsd} (limits '' when absent):
 *   1 settled (the hold is gone and min(actual, hold) charged); 4 settled late (the hold had been swept as expired
 *   and charged at its worst case: what the call did not use is given back); 5 no hold (none under this id in this
 *   scope: nothing is charged and nothing written, e.g. a recovery trying a neighbouring day); 3 duplicate (this id
 *   was already settled or released: nothing changes; closedAs says which).
 */

/** settle as Lua source, the budget prelude included (budget-store.ts). */
export const SETTLE_LUA = `${BUDGET_LUA_PRELUDE}
local id = ARGV[1]
local tokens = ARGV[2]
local micro = ARGV[3]
local ttl = tonumber(ARGV[4])

local closed_as, expired_t, expired_m = closed_mark(id)
if closed_as == 'settled' or closed_as == 'released' then
  return {3, '0', '0', num('usedTokens'), num('usedMicroUsd'), field('limitTokens'), field('limitMicroUsd'), closed_as,
    '0', '0'}
end

local status = 1
local found, held_t, held_m = take_hold(id)
if not found then
  if closed_as ~= 'expired' then
    return {5, '0', '0', num('usedTokens'), num('usedMicroUsd'), field('limitTokens'), field('limitMicroUsd'), '',
      '0', '0'}
  end
  status = 4
  held_t, held_m = expired_t, expired_m
end
local charged_t = min_str(tokens, held_t)
local charged_m = min_str(micro, held_m)
redis.call('HINCRBY', totals, 'usedTokens', charged_t)
redis.call('HINCRBY', totals, 'usedMicroUsd', charged_m)
if status == 4 then
  -- the sweep charged the whole hold already
  sub('usedTokens', held_t)
  sub('usedMicroUsd', held_m)
end
redis.call('HSET', closed, id, 'settled')
touch(ttl)
return {status, held_t, held_m, num('usedTokens'), num('usedMicroUsd'), field('limitTokens'), field('limitMicroUsd'), '',
  charged_t, charged_m}
`;
