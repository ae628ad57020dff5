import { LUA_PRELUDE } from "./prelude.js";
import { LUA_RECORD_PAID } from "./record-paid.js";

/**
 * reconcile_estimate: replaces a call booked at its worst case (estimated, record-paid.ts `book_estimate`) by what
 * the provider's usage log says of it (shared/engine/reconcile-estimates.ts): `billed`, its exact usage marked `r`
 * (meta `reconciledCalls` + 1); or `void`, no call billed: `0,0,0,0,0,v` (meta `voidedCalls` + 1), which the run
 * view lists as no call and record_paid still books should the answer arrive. The estimate leaves the node's and
 * the run's totals. Only an estimate is replaced: a repeat, or an exact record, changes nothing.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId, ARGV[2] attempt (1-based), ARGV[3] outcome `billed` or `void`
 * ARGV[4..8] inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, microUsd: integers (for `billed`)
 *
 * Returns `{1}` when it replaced the estimate, `{0}` otherwise (no estimate there, or the run is gone).
 */
export const RECONCILE_ESTIMATE_LUA = `${LUA_PRELUDE}${LUA_RECORD_PAID}
if not redis.call('HGET', K.meta, 'status') then return {0} end
local field = ARGV[1] .. ':' .. ARGV[2]
local prev = redis.call('HGET', K.paid, field)
if not prev or string.sub(prev, -2) ~= ',e' then return {0} end
unbook_estimate(ARGV[1], prev)
if ARGV[3] == 'billed' then
  local i, o, cr, cw, m = tonumber(ARGV[4]) or 0, tonumber(ARGV[5]) or 0, tonumber(ARGV[6]) or 0,
    tonumber(ARGV[7]) or 0, tonumber(ARGV[8]) or 0
  redis.call('HSET', K.paid, field, i .. ',' .. o .. ',' .. cr .. ',' .. cw .. ',' .. m .. ',r')
  add_paid(ARGV[1], i, o, cr, cw, m)
  redis.call('HINCRBY', K.meta, 'reconciledCalls', 1)
else
  redis.call('HSET', K.paid, field, '0,0,0,0,0,v')
  redis.call('HINCRBY', K.meta, 'voidedCalls', 1)
end
keep_ttl()
return {1}
`;
