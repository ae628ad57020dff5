import { BUDGET_LUA_PRELUDE } from "./prelude.js";

/**
 * reserve: holds a call's worst case in one scope if it fits under the scope's limits.
 *
 * KEYS: totals, res, closed of one scope (prelude.ts).
 * ARGV[1] reservationId
 * ARGV[2] tokens       worst-case tokens, decimal integer >= 0
 * ARGV[3] microUsd     worst-case cost in micro-dollars, decimal integer >= 0
 * ARGV[4] limitTokens  decimal integer, or '' for no token limit
 * ARGV[5] limitMicroUsd decimal integer, or '' for no USD limit
 * ARGV[6] expiresAtMs  ms since epoch after which the hold may be swept as abandoned (its caller died)
 * ARGV[7] nowMs        ms since epoch
 * ARGV[8] ttlSeconds   lifetime of the scope's keys after this write (0 = unchanged)
 *
 * The limits are stored on the totals hash (so usage readers see them); a limit left out is removed.
 * Fits when used + reserved + request <= limit, for each limit present. When it does not fit, holds whose
 * expiresAtMs <= nowMs are swept first (their amounts returned, their ids closed as `expired`) and the check runs
 * once more. A swept hold is charged to `used` at its worst case (its caller died and may have been billed; a late
 * settle or release gives back what the call did not use): a hold only ever moves from `reserved` to `used`, so
 * used + reserved <= limit stays true and `used` can never pass a limit.
 *
 * Returns {status, leftTokens, leftMicroUsd, hasLimitTokens, hasLimitMicroUsd, heldTokens, heldMicroUsd, closedAs}:
 *   status 1 reserved (held now), 2 existing (this id already holds: nothing changes, the held amounts are
 *   returned), 3 closed (this id was settled, released or expired: nothing changes; closedAs says which),
 *   0 refused (nothing held; left is what remains). left = limit - used - reserved after the call (0 when no limit).
 */

/** reserve as Lua source, the budget prelude included (budget-store.ts). */
export const RESERVE_LUA = `${BUDGET_LUA_PRELUDE}
local id = ARGV[1]
local tokens = ARGV[2]
local micro = ARGV[3]
local limit_tokens = ARGV[4]
local limit_micro = ARGV[5]
local expires_at = ARGV[6]
local now = tonumber(ARGV[7])
local ttl = tonumber(ARGV[8])

if limit_tokens ~= '' then
  redis.call('HSET', totals, 'limitTokens', limit_tokens)
else
  redis.call('HDEL', totals, 'limitTokens')
end
if limit_micro ~= '' then
  redis.call('HSET', totals, 'limitMicroUsd', limit_micro)
else
  redis.call('HDEL', totals, 'limitMicroUsd')
end

local function reply(status, held_t, held_m, closed_as)
  touch(ttl)
  local lt, lm, ht, hm = left_reply()
  return {status, lt, lm, ht, hm, held_t, held_m, closed_as}
end

local closed_as = closed_mark(id)
if closed_as then
  return reply(3, '0', '0', closed_as)
end
local held = redis.call('HGET', res, id)
if held then
  local t, m = parse(held)
  return reply(2, t, m, '')
end

local function fits()
  if limit_tokens ~= '' and num('usedTokens') + num('reservedTokens') + tonumber(tokens) > tonumber(limit_tokens) then
    return false
  end
  if limit_micro ~= '' and num('usedMicroUsd') + num('reservedMicroUsd') + tonumber(micro) > tonumber(limit_micro) then
    return false
  end
  return true
end

local function sweep()
  local all = redis.call('HGETALL', res)
  for i = 1, #all, 2 do
    local t, m, exp = parse(all[i + 1])
    if exp and tonumber(exp) <= now then
      redis.call('HDEL', res, all[i])
      sub('reservedTokens', t)
      sub('reservedMicroUsd', m)
      redis.call('HINCRBY', totals, 'usedTokens', t)
      redis.call('HINCRBY', totals, 'usedMicroUsd', m)
      redis.call('HSET', closed, all[i], 'expired,' .. t .. ',' .. m)
    end
  end
end

if not fits() then
  sweep()
  if not fits() then
    return reply(0, '0', '0', '')
  end
end
redis.call('HSET', res, id, tokens .. ',' .. micro .. ',' .. expires_at)
redis.call('HINCRBY', totals, 'reservedTokens', tokens)
redis.call('HINCRBY', totals, 'reservedMicroUsd', micro)
return reply(1, tokens, micro, '')
`;
