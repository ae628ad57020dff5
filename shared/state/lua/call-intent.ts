import { LUA_PRELUDE } from "./prelude.js";
import { LUA_RECORD_PAID } from "./record-paid.js";

/**
 * record_intent: written right before a node attempt's provider call, so a call whose answer never reaches the
 * run's books (a delivery killed between answer and paid record) is still known: `paid` gets `<nodeId>:<attempt>:
 * intent` = `<in>,<out>,<microUsd>,<atMs>,<logged>`: the reserved worst case (input estimate + output allowance,
 * priced for the model asked for), when, and whether the usage log's gateway sees the call (reconcile-estimate.ts).
 * Does nothing once written, or without the run.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId, ARGV[2] attempt (1-based)
 * ARGV[3] inputTokens, ARGV[4] outputTokens (`maxOutputTokens`), ARGV[5] microUsd: integers, the worst case
 * ARGV[6] atMs         ms since epoch, now
 * ARGV[7] logged       `1` when the call is tagged for the usage log, else `0`
 *
 * Returns `{1}` when written, `{0}` for a repeat or a run that no longer exists.
 */
export const RECORD_INTENT_LUA = `${LUA_PRELUDE}
if not redis.call('HGET', K.meta, 'status') then return {0} end
local field = ARGV[1] .. ':' .. ARGV[2] .. ':intent'
if redis.call('HSETNX', K.paid, field, ARGV[3] .. ',' .. ARGV[4] .. ',' .. ARGV[5] .. ',' .. ARGV[6] .. ',' .. ARGV[7]) == 0 then return {0} end
keep_ttl()
return {1}
`;

/**
 * book_unrecorded: books, at their reserved worst case and marked estimated (record-paid.ts `book_estimate`), the
 * calls whose intent is written but whose paid record is not: calls of attempts the caller knows are dead (a later
 * attempt of the node runs, the run is finished, or the call was aborted). A paid record that arrives later replaces
 * the estimate (record_paid), so a call is never booked twice.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId   '' for every node of the run
 * ARGV[2] below    book only attempts below this one ('' or 0: every attempt)
 * ARGV[3] only     book only this attempt ('' or 0: any)
 *
 * Returns a flat list `nodeId, attempt, tokens, microUsd, …` of the calls it booked (empty when the run is gone).
 */
export const BOOK_UNRECORDED_LUA = `${LUA_PRELUDE}${LUA_RECORD_PAID}
if not redis.call('HGET', K.meta, 'status') then return {} end
local below = tonumber(ARGV[2]) or 0
local only = tonumber(ARGV[3]) or 0
local booked = {}
local flat = redis.call('HGETALL', K.paid)
for i = 1, #flat, 2 do
  local node, attempt = string.match(flat[i], '^(.*):(%d+):intent$')
  local a = tonumber(attempt or '')
  if node and (ARGV[1] == '' or ARGV[1] == node) and (below <= 0 or a < below) and (only <= 0 or a == only) then
    local b = book_estimate(node, attempt)
    if b then
      booked[#booked + 1] = node
      booked[#booked + 1] = attempt
      booked[#booked + 1] = b[2]
      booked[#booked + 1] = b[3]
    end
  end
end
return booked
`;
