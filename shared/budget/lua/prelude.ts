/**
 * Lua prelude shared by the budget scripts (reserve, settle, release).
 *
 * KEYS of every budget script, one scope (shared/budget/scopes.ts):
 *   KEYS[1] totals  hash: usedTokens, usedMicroUsd, reservedTokens, reservedMicroUsd, limitTokens, limitMicroUsd
 *   KEYS[2] res     hash: reservationId -> "<tokens>,<microUsd>,<expiresAtMs>"
 *   KEYS[3] closed  hash: reservationId -> settled | released | expired,<tokens>,<microUsd> (a hold swept past its
 *                   expiry, charged to `used` at that worst case) | expired (written before holds were charged)
 *
 * Amounts travel as decimal integer strings and are added with HINCRBY on the strings themselves, so no Lua number
 * is ever formatted back into a command (Lua's tostring keeps 14 significant digits). Comparisons use Lua numbers,
 * exact below 2^53. No cjson: the scripts also run on the local stack's in-memory store.
 *
 * Helpers:
 *   num(field)           the totals field as a number (0 when missing)
 *   field(field)         the totals field as a string ('' when missing), safe inside a reply table
 *   sub(field, amount)   HINCRBY field by -amount, skipped for '0' (Redis rejects the integer "-0")
 *   parse(held)          "<tokens>,<microUsd>,<expiresAtMs>" -> tokens, microUsd, expiresAtMs (strings)
 *   left(limitField, usedField, reservedField)  limit - used - reserved, or 0 when there is no limit
 *   left_reply()         {leftTokens, leftMicroUsd, hasLimitTokens, hasLimitMicroUsd}: headroom (may be negative
 *                        after an overspend) and 1/0 flags saying whether each limit exists
 *   touch(ttl)           EXPIRE all three keys (seconds; 0 = leave as is)
 *   closed_mark(id)      kind ('settled' | 'released' | 'expired' | nil) and, for an expired hold, the tokens and
 *                        micro-USD its sweep charged (strings, '0' otherwise)
 *   min_str(a, b)        the smaller of two decimal integer strings, returned as given (never re-formatted)
 */

/** The budget prelude (the helpers above) as Lua source, prepended to every budget script. */
export const BUDGET_LUA_PRELUDE = `
local totals = KEYS[1]
local res = KEYS[2]
local closed = KEYS[3]

local function num(f)
  return tonumber(redis.call('HGET', totals, f) or '0')
end

local function field(f)
  return redis.call('HGET', totals, f) or ''
end

local function sub(f, amount)
  if amount ~= '0' then
    redis.call('HINCRBY', totals, f, '-' .. amount)
  end
end

local function parse(held)
  return string.match(held, '^(%d+),(%d+),(%d+)$')
end

-- removes reservation id's hold from the reserved totals; returns found (boolean), tokens, micro-USD (strings)
local function take_hold(id)
  local held = redis.call('HGET', res, id)
  if not held then return false, '0', '0' end
  local held_t, held_m = parse(held)
  redis.call('HDEL', res, id)
  sub('reservedTokens', held_t)
  sub('reservedMicroUsd', held_m)
  return true, held_t, held_m
end

local function left(limit_field, used_field, reserved_field)
  local limit = redis.call('HGET', totals, limit_field)
  if not limit then
    return 0
  end
  return tonumber(limit) - num(used_field) - num(reserved_field)
end

local function left_reply()
  local has_t = 0
  local has_m = 0
  if redis.call('HEXISTS', totals, 'limitTokens') == 1 then has_t = 1 end
  if redis.call('HEXISTS', totals, 'limitMicroUsd') == 1 then has_m = 1 end
  return left('limitTokens', 'usedTokens', 'reservedTokens'), left('limitMicroUsd', 'usedMicroUsd', 'reservedMicroUsd'), has_t, has_m
end

local function closed_mark(id)
  local v = redis.call('HGET', closed, id)
  if not v then return nil, '0', '0' end
  local t, m = string.match(v, '^expired,(%d+),(%d+)$')
  if t then return 'expired', t, m end
  return v, '0', '0'
end

local function min_str(a, b)
  if tonumber(a) <= tonumber(b) then return a end
  return b
end

local function touch(ttl)
  if ttl > 0 then
    redis.call('EXPIRE', totals, ttl)
    redis.call('EXPIRE', res, ttl)
    redis.call('EXPIRE', closed, ttl)
  end
end
`;
