import { LUA_PRELUDE } from "./prelude.js";

/**
 * The books of a run's paid provider calls: each call's usage is recorded once per (node, attempt) in the run's
 * `paid` hash and added to the node's and the run's totals then, so those are sums over the paid calls whatever
 * happens to the attempt after its call (a lost answer, a failed completion, a retry hitting its cache entry).
 *
 * Lua helpers (prepended to the scripts that record usage: record_paid, complete_node, book_unrecorded, …):
 * - `record_paid(node, attempt, input, output, cacheRead, cacheWrite, microUsd)`: records the call of attempt
 *   `attempt` of `node` once (a repeat changes nothing); it replaces an estimate (call-intent.ts) or a call the usage
 *   log showed unbilled (`v`); an exact record, the answer's or the log's (`r`), is final. Returns 1 when it recorded.
 * - `unbook_estimate(node, prev)`: takes an estimate (`prev`, a record ending in `,e`) back out of the totals.
 * - `book_estimate(node, attempt)`: books, at its worst case and marked estimated (6th field `e`; meta
 *   `estimatedCalls`, `estimatedTokens`), an attempt's call with an intent but no paid record. Returns `{field,
 *   tokens, microUsd}`, or nil when there is nothing to book.
 */
export const LUA_RECORD_PAID = `
local function add_paid(node, i, o, cr, cw, m)
  local u = csv(redis.call('HGET', K.usage, node) or '0,0,0,0')
  redis.call('HSET', K.usage, node, (tonumber(u[1]) or 0) + i .. ',' .. (tonumber(u[2]) or 0) + o .. ','
    .. (tonumber(u[3]) or 0) + cr .. ',' .. (tonumber(u[4]) or 0) + cw)
  redis.call('HINCRBY', K.cost, node, m)
  redis.call('HINCRBY', K.meta, 'inputTokens', i)
  redis.call('HINCRBY', K.meta, 'outputTokens', o)
  redis.call('HINCRBY', K.meta, 'cacheReadTokens', cr)
  redis.call('HINCRBY', K.meta, 'cacheWriteTokens', cw)
  redis.call('HINCRBY', K.meta, 'costMicroUsd', m)
end

-- takes back an estimate booked for a call (prev, its record ending in ',e') from the node's and the
-- run's totals and the estimate counters
local function unbook_estimate(node, prev)
  local e = csv(prev)
  local ei, eo, ecr, ecw, em = tonumber(e[1]) or 0, tonumber(e[2]) or 0, tonumber(e[3]) or 0, tonumber(e[4]) or 0,
    tonumber(e[5]) or 0
  -- 0 - x, not -x: Lua 5.1 prints -0 for a zero, which HINCRBY refuses
  add_paid(node, 0 - ei, 0 - eo, 0 - ecr, 0 - ecw, 0 - em)
  redis.call('HINCRBY', K.meta, 'estimatedCalls', -1)
  redis.call('HINCRBY', K.meta, 'estimatedTokens', 0 - (ei + eo + ecr + ecw))
end

local function record_paid(node, attempt, input, output, cache_read, cache_write, micro)
  if attempt == nil or attempt == '' or attempt == '0' then return 0 end
  local field = node .. ':' .. attempt
  local prev = redis.call('HGET', K.paid, field)
  if prev then
    local flag = string.sub(prev, -2)
    -- an exact record (the answer's, or the provider's log's) is final
    if flag ~= ',e' and flag ~= ',v' then return 0 end
    -- an estimate booked while this call's answer seemed lost: the exact usage replaces it; a call the provider's
    -- log had not billed ('v') whose answer arrives after all is booked now
    if flag == ',e' then unbook_estimate(node, prev) else redis.call('HINCRBY', K.meta, 'voidedCalls', -1) end
  end
  local i, o, cr, cw, m = tonumber(input) or 0, tonumber(output) or 0, tonumber(cache_read) or 0,
    tonumber(cache_write) or 0, tonumber(micro) or 0
  redis.call('HSET', K.paid, field, i .. ',' .. o .. ',' .. cr .. ',' .. cw .. ',' .. m)
  add_paid(node, i, o, cr, cw, m)
  return 1
end

local function book_estimate(node, attempt)
  local field = node .. ':' .. attempt
  local intent = redis.call('HGET', K.paid, field .. ':intent')
  if not intent or redis.call('HEXISTS', K.paid, field) == 1 then return nil end
  local w = csv(intent)
  local i, o, m = tonumber(w[1]) or 0, tonumber(w[2]) or 0, tonumber(w[3]) or 0
  redis.call('HSET', K.paid, field, i .. ',' .. o .. ',0,0,' .. m .. ',e')
  add_paid(node, i, o, 0, 0, m)
  redis.call('HINCRBY', K.meta, 'estimatedCalls', 1)
  redis.call('HINCRBY', K.meta, 'estimatedTokens', i + o)
  return {field, i + o, m}
end
`;

/**
 * record_paid: records a node attempt's paid provider call right after the provider answered, before anything that
 * can fail after it (cache write, blob write, completion); in a run of any status, not once its keys are gone.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] attempt       the attempt (1-based) that made the call
 * ARGV[3] inputTokens   integer
 * ARGV[4] outputTokens  integer
 * ARGV[5] cacheReadTokens  integer
 * ARGV[6] cacheWriteTokens integer
 * ARGV[7] costMicroUsd  integer micro-USD (1e-6 USD)
 *
 * Returns `{1}` when it recorded the call, `{0}` for a repeat or a run that no longer exists.
 */
export const RECORD_PAID_LUA = `${LUA_PRELUDE}${LUA_RECORD_PAID}
if not redis.call('HGET', K.meta, 'status') then return {0} end
local done = record_paid(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
if done == 1 then keep_ttl() end
return {done}
`;
