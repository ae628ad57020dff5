import { BUDGET_LUA_PRELUDE } from "./prelude.js";

/**
 * settle: after a call, replaces its hold by what it actually used. Records the truth: actual usage is added even
 * when it exceeds the hold or the limit (the caller reports the overspend). Idempotent on the reservation id.
 *
 * KEYS: totals, res, closed of one scope (prelude.ts).
 * ARGV[1] reservationId
 * ARGV[2] tokens      actual tokens (input + output), decimal integer >= 0
 * ARGV[3] microUsd    actual cost in micro-dollars, decimal integer >= 0
 * ARGV[4] ttlSeconds  lifetime of the scope's keys after this write (0 = unchanged)
 *
 * Returns {status, heldTokens, heldMicroUsd, usedTokens, usedMicroUsd, limitTokens, limitMicroUsd, closedAs}
 * (limits '' when absent):
 *   1 settled (the hold is gone and the usage added), 4 settled late (the hold had been swept as expired; usage
 *   added), 5 settled without a hold (none was recorded under this id; usage added), 3 duplicate (this id was
 *   already settled or released: nothing changes; closedAs says which).
 */

/** settle as Lua source, the budget prelude included (budget-store.ts). */
export const SETTLE_LUA = `${BUDGET_LUA_PRELUDE}
local id = ARGV[1]
local tokens = ARGV[2]
local micro = ARGV[3]
local ttl = tonumber(ARGV[4])

local closed_as = redis.call('HGET', closed, id)
if closed_as == 'settled' or closed_as == 'released' then
  return {3, '0', '0', num('usedTokens'), num('usedMicroUsd'), field('limitTokens'), field('limitMicroUsd'), closed_as}
end

local status = 5
local found, held_t, held_m = take_hold(id)
if found then
  status = 1
elseif closed_as == 'expired' then
  status = 4
end
redis.call('HINCRBY', totals, 'usedTokens', tokens)
redis.call('HINCRBY', totals, 'usedMicroUsd', micro)
redis.call('HSET', closed, id, 'settled')
touch(ttl)
return {status, held_t, held_m, num('usedTokens'), num('usedMicroUsd'), field('limitTokens'), field('limitMicroUsd'), ''}
`;
