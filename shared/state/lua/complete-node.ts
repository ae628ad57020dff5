import { LUA_PRELUDE } from "./prelude.js";
import { LUA_RECORD_PAID } from "./record-paid.js";

/**
 * complete_node: records a node's output once, releases the dependents whose last dependency it was, frees the
 * node's slot and takes the next ready nodes for dispatch.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] now            ms since epoch (the node's end)
 * ARGV[3] outputRef      content hash of the output blob
 * ARGV[4] inputTokens    integer
 * ARGV[5] outputTokens   integer
 * ARGV[6] model          model id that produced the output
 * ARGV[7] excerpt        first characters of the output
 * ARGV[8] startedAt      ms since epoch of the attempt that produced the output ('' keeps the claimed time)
 * ARGV[9] cacheReadTokens   integer (prompt-cache reads, not part of inputTokens)
 * ARGV[10] cacheWriteTokens integer (prompt-cache writes, not part of inputTokens)
 * ARGV[11] costMicroUsd     integer micro-USD (1e-6 USD) of the call
 * ARGV[12] route            "<provider>|<tier>|<source>|<reason>"
 * ARGV[13] cacheOutcome     hit | shared | miss, or '' when the node does not use the cache
 * ARGV[14] savedTokens      tokens a cache hit saved (the producing call's), else 0
 * ARGV[15] savedMicroUsd    micro-USD a cache hit saved, else 0
 * ARGV[16] chainLease       optional: the lease of the delivery that ran the node, when that delivery may go on to
 *                           run a next node itself (shared/engine/delivery.ts); '' or absent: it may not
 * ARGV[17] generation       optional: the dispatch generation of the delivery's message; a completion from an
 *                           earlier try of the run (before a retry or rerun) changes nothing
 * ARGV[18] paidAttempt      optional: the attempt of the node whose paid call the usage (ARGV 4, 5, 9, 10, 11) is;
 *                           it is recorded once per attempt (record-paid.ts: usually already, right after the call),
 *                           and the node's usage and cost are the sum over its paid calls; '' or absent: no paid
 *                           call (a cache hit on another node's entry), unless usage is reported: then the node's
 *                           current attempt
 *
 * Usage is not taken from the completion as such: a node's usage and cost, and the run's totals, are the sum of its
 * paid calls (record-paid.ts); the completion records its own paid call (ARGV[18]) if record_paid has not yet, even
 * when the completion itself does not apply (late, duplicate, stale or in a finished run).
 *
 * A node that was `running` when the run was cancelled (`cancelled`, its lease kept: cancel_run, fail-fast) still
 * gets its output, usage and cost recorded and becomes `done` (a paid call is never dropped), but the completion
 * releases and takes nothing: `{1, runStatus, '', 0}`.
 *
 * Returns `{1, runStatus, chained, attempt, taken…}` when it applied the completion; `taken` are the nodes to
 * publish now (status `queued`). When `chainLease` is given and still holds the node (a newer delivery has not
 * taken it over), the highest-priority node taken is not among them: it is `chained`, already `running` under that
 * lease (attempt `attempt`, started `now`), for the same delivery to run; otherwise `chained` is '' and `attempt` 0.
 * A duplicate or late callback changes nothing and returns `{0, runStatus, '', 0, queued…}`: for an already-done
 * node, the nodes its completion took that are still `queued` (taken but maybe never published, e.g. the first
 * callback died before publishing), so the caller can publish them again; their deduplication ids make that safe.
 */

/** complete_node as Lua source, the run prelude included (run-store.ts `completeNode`). */
export const COMPLETE_NODE_LUA = `${LUA_PRELUDE}${LUA_RECORD_PAID}
local node = ARGV[1]
local now = ARGV[2]

local run_status = redis.call('HGET', K.meta, 'status')
local s = redis.call('HGET', K.status, node)
-- the paid call is recorded whether or not the completion applies (a late or stale one too): it was paid; a caller
-- that names no attempt but reports usage is taken to mean the node's current attempt
local paid_attempt = ARGV[18] or ''
if paid_attempt == '' and (tonumber(ARGV[4]) or 0) + (tonumber(ARGV[5]) or 0) + (tonumber(ARGV[9]) or 0)
    + (tonumber(ARGV[10]) or 0) + (tonumber(ARGV[11]) or 0) > 0 then
  paid_attempt = redis.call('HGET', K.attempts, node) or '1'
end
-- keys the record created get the run's TTL once, before whichever return comes (keep_ttl walks every run key)
local paid_new = run_status and record_paid(node, paid_attempt, ARGV[4], ARGV[5], ARGV[9], ARGV[10], ARGV[11]) == 1
if stale_generation(ARGV[17]) then
  if paid_new then keep_ttl() end
  return {0, run_status or 'missing', '', 0}
end

-- the output of the call: recorded on the node; its paid call's usage added to the node and the run once
local function record()
  redis.call('HSET', K.status, node, 'done')
  redis.call('HSET', K.output, node, ARGV[3])
  if redis.call('HEXISTS', K.usage, node) == 0 then redis.call('HSET', K.usage, node, '0,0,0,0') end
  if redis.call('HEXISTS', K.cost, node) == 0 then redis.call('HSET', K.cost, node, 0) end
  redis.call('HSET', K.route, node, ARGV[12])
  if ARGV[13] ~= '' then
    redis.call('HSET', K.cache, node, ARGV[13])
    redis.call('HINCRBY', K.meta, 'cache_' .. ARGV[13], 1)
    redis.call('HINCRBY', K.meta, 'savedTokens', tonumber(ARGV[14]))
    redis.call('HINCRBY', K.meta, 'savedMicroUsd', tonumber(ARGV[15]))
  end
  redis.call('HSET', K.model, node, ARGV[6])
  redis.call('HSET', K.excerpt, node, ARGV[7])
  redis.call('HSET', K.finished, node, now)
  if ARGV[8] ~= '' then redis.call('HSET', K.started, node, ARGV[8]) end
  redis.call('HDEL', K.error, node)
  redis.call('HINCRBY', K.meta, 'doneCount', 1)
  emit('done', node, 'usage', redis.call('HGET', K.usage, node), 'costMicroUsd', redis.call('HGET', K.cost, node), 'cache', ARGV[13], 'model', ARGV[6], 'route', ARGV[12])
end

-- a call that was running when the run was cancelled: its output is kept, nothing is released or taken
-- (a compensating run stays \`running\`: meta \`compensation\` tells it: compensate.ts)
if s == 'cancelled' and (run_status ~= 'running' or redis.call('HGET', K.meta, 'compensation'))
    and redis.call('HGET', K.lease, node) then
  record()
  redis.call('HDEL', K.lease, node)
  redis.call('HINCRBY', K.meta, 'cancelledCount', -1)
  keep_ttl()
  return {1, run_status, '', 0}
end

if (not s) or is_terminal(s) or s == 'pending' or run_status ~= 'running' then
  local result = {0, run_status or 'missing', '', 0}
  if s == 'done' and run_status == 'running' then
    for _, id in ipairs(still_queued(node)) do result[#result + 1] = id end
  end
  if paid_new then keep_ttl() end
  return result
end

record()
redis.call('HINCRBY', K.meta, 'terminalCount', 1)
redis.call('HINCRBY', K.meta, 'inflight', -1)
level_done(node)

for _, d in ipairs(csv(redis.call('HGET', K.dependents, node))) do
  local left = redis.call('HINCRBY', K.pending, d, -1)
  if left == 0 and redis.call('HGET', K.status, d) == 'pending' then
    release(d)
  end
end
open_levels()
local taken = take_for(node, now)

-- the delivery goes on with the highest-priority node taken, if it still holds the node it completed
local chain_lease = ARGV[16]
local chained = ''
local attempt = 0
if #taken > 0 and chain_lease and chain_lease ~= '' and redis.call('HGET', K.lease, node) == chain_lease then
  chained = taken[1]
  attempt = hold(chained, chain_lease, now)
end

keep_ttl()
local result = {1, finish_if_done(now), chained, attempt}
for i, id in ipairs(taken) do
  if not (i == 1 and chained ~= '') then result[#result + 1] = id end
end
-- the run began compensating (compensate.ts): its compensations are published too, and offered again on a repeat
note_compensation_taken(node)
for _, id in ipairs(compensation_taken) do result[#result + 1] = id end
return result
`;
