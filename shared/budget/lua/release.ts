import { BUDGET_LUA_PRELUDE } from "./prelude.js";

/**
 * release: gives a hold back without usage. Two modes:
 * - `release` (a failed call): closes the id as `released`, even when no hold is found, so that a reserve with this
 *   id arriving late (a delayed or retried request) cannot hold again, and a late settle changes nothing;
 * - `cancel` (compensation of a multi-scope reservation, reserve-scopes.ts): removes the hold and leaves no mark,
 *   so the same id may reserve again (e.g. one tier down).
 *
 * KEYS: totals, res, closed of one scope (prelude.ts).
 * ARGV[1] reservationId
 * ARGV[2] mode        'release' | 'cancel'
 * ARGV[3] ttlSeconds  lifetime of the scope's keys after this write (0 = unchanged)
 *
 * Returns {status, heldTokens, heldMicroUsd, closedAs}: 1 released (a hold was given back), 0 nothing held,
 * 3 already closed as settled or released (nothing changes; closedAs says which).
 */
export const RELEASE_LUA = `${BUDGET_LUA_PRELUDE}
local id = ARGV[1]
local mode = ARGV[2]
local ttl = tonumber(ARGV[3])

local closed_as = redis.call('HGET', closed, id)
if closed_as == 'settled' or closed_as == 'released' then
  return {3, '0', '0', closed_as}
end

local status = 0
local found, held_t, held_m = take_hold(id)
if found then
  status = 1
end
if mode == 'release' then
  redis.call('HSET', closed, id, 'released')
end
touch(ttl)
return {status, held_t, held_m, ''}
`;
