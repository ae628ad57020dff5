import { BUDGET_LUA_PRELUDE } from "./prelude.js";

/**
 * release: gives a hold back without usage. Modes: `release` (a failed call) closes the id as `released` even when
 * no hold is found, so a late reserve cannot hold again and a late settle changes nothing; `cancel` (compensation,
 * reserve-scopes.ts) leaves no mark, so the id may reserve again; `recover` (recover-holds.ts) is `release` that
 * changes nothing where nothing is held (a neighbouring day's scope). A hold swept as expired was charged whole
 * (reserve.ts): `release` and `recover` give that charge back (the call was not billed).
 *
 * KEYS: totals, res, closed of one scope (prelude.ts).
 * ARGV[1] reservationId
 * ARGV[2] mode        'release' | 'cancel' | 'recover'
 * ARGV[3] ttlSeconds  lifetime of the scope's keys after this write (0 = unchanged)
 *
 * Returns {status, heldTokens, heldMicroUsd, closedAs}: 1 released (a hold, or an expired hold's charge, given
 * back), 0 nothing held, 3 already closed as settled or released (nothing changes; closedAs says which).
 */
export const RELEASE_LUA = `${BUDGET_LUA_PRELUDE}
local id = ARGV[1]
local mode = ARGV[2]
local ttl = tonumber(ARGV[3])

local closed_as, expired_t, expired_m = closed_mark(id)
if closed_as == 'settled' or closed_as == 'released' then
  return {3, '0', '0', closed_as}
end

local status = 0
local found, held_t, held_m = take_hold(id)
if found then
  status = 1
elseif closed_as == 'expired' then
  sub('usedTokens', expired_t)
  sub('usedMicroUsd', expired_m)
  held_t, held_m = expired_t, expired_m
  status = 1
elseif mode == 'recover' then
  return {0, '0', '0', ''}
end
if mode == 'cancel' then
  if closed_as == 'expired' then redis.call('HDEL', closed, id) end
else
  redis.call('HSET', closed, id, 'released')
end
touch(ttl)
return {status, held_t, held_m, ''}
`;
