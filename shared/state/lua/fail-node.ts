import { LUA_PRELUDE } from "./prelude.js";

/**
 * fail_node: a node failed for good (retries exhausted or a non-retryable error). Marks it `failed`, marks every
 * descendant that has not run `skipped`, frees the node's slot, takes the next ready nodes for dispatch (branches
 * that do not depend on the failed node keep running to completion) and finishes the run as `failed` once nothing
 * else is active.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] error   message recorded on the node
 * ARGV[3] now     ms since epoch
 * ARGV[4] lease   optional: the delivery that failed (`/internal/execute` on a non-retryable error); the failure
 *                 then applies only while that delivery still holds the node (`running` under this lease), so a
 *                 stale delivery cannot fail a node a newer one has taken over. The failure callback passes none.
 *
 * ARGV[5] messageId optional: the QStash message whose retries ran out (the failure callback). When its node is
 *                 already done, a delivery of that message may have gone on to run a chain of nodes
 *                 (shared/engine/delivery.ts) and left one unfinished; that link is released: back to `queued`,
 *                 its lease removed, and listed for the caller to publish as a message of its own.
 *
 * ARGV[6] generation optional: the dispatch generation of the failing message; a failure from an earlier try of
 *                 the run (before a retry or rerun) changes nothing
 * ARGV[7] policy  the node's failure policy: `skip-dependents` (default: descendants skipped), `fail-fast` (every
 *                 other node not terminal is cancelled and the run ends `failed` at once: the caller cancels its
 *                 messages) or `continue` (the node releases its dependents like a done node, its output is ARGV[8],
 *                 and it does not make the run fail: meta `tolerated:<id>`)
 * A compensation node (`<id>~compensate`, compensate.ts) ignores ARGV[7]: it fails alone, counted in meta
 * `compensationFailed`, and the compensations waiting for it are released.
 * ARGV[8] markerRef `continue` only: blob ref of the text its dependents read as its output (`[FAILED: …]`)
 * ARGV[9] holdMs  optional, the failure callback: the node's timeout + the execute margin, ms. A node `running` under
 *                 a lease of another message (its holder) whose claim is younger than that is left to its holder
 *                 (its retries were used up waiting for it: `node-busy`); the sweeper takes over after the deadline
 *
 * A parked node (`waiting`: park-node.ts) is never failed here: its decision (resolve-parked.ts) makes it `running`
 * under the decision's lease first, and the caller then fails it with that lease.
 *
 * Returns `{1, runStatus, k, taken(k)…, skipped…}` when applied: the k nodes to publish now, then the descendants
 * marked skipped. A duplicate, late or stale failure changes nothing and returns `{0, runStatus, k, queued(k)…}`:
 * for a node already failed or done, the nodes its transition took that are still `queued` (maybe never
 * published: e.g. the last attempt completed the node, then its publish failed and QStash gave up), so the caller
 * can publish them again (deduplicated by QStash); with `messageId`, also those of the chain's finished links and
 * the released link (the only change then made).
 */

/** fail_node as Lua source, the run prelude included (run-store.ts `failNode`). */
export const FAIL_NODE_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
local now = ARGV[3]
local lease = ARGV[4]
local run_status = redis.call('HGET', K.meta, 'status')
local s = redis.call('HGET', K.status, node)
local stale = lease ~= nil and lease ~= '' and not (s == 'running' and redis.call('HGET', K.lease, node) == lease)
if stale_generation(ARGV[6]) then return {0, run_status or 'missing', 0} end
-- a parked node is failed only after its decision (resolve-parked.ts), under that decision's lease
if s == 'waiting' then return {0, run_status or 'missing', 0} end
local hold_ms = tonumber(ARGV[9] or '') or 0
if hold_ms > 0 and (lease == nil or lease == '') and s == 'running' and run_status == 'running' then
  local holder = redis.call('HGET', K.lease, node) or ''
  local since = tonumber(redis.call('HGET', K.started, node) or '0') or 0
  if lease_message(holder) ~= (ARGV[5] or '') and tonumber(now) < since + hold_ms then
    return {0, run_status, 0}
  end
end
local policy = ARGV[7] or 'skip-dependents'
-- a failed compensation is reported, and the compensations waiting for it run anyway (compensate.ts)
if is_compensation(node) then policy = 'compensation' end
if run_status ~= 'running' or (not s) or is_terminal(s) or stale then
  -- a duplicate failure re-offers what the node's transition took and may never have published
  local result = {0, run_status or 'missing', 0}
  if (s == 'failed' or s == 'done') and run_status == 'running' then
    local queued, link, link_status = follow_chain(node, ARGV[5])
    for _, id in ipairs(queued) do result[#result + 1] = id end
    if link_status == 'running' or link_status == 'retrying' then
      -- no delivery of the message will come back for it: it gets a message of its own
      redis.call('HSET', K.status, link, 'queued')
      redis.call('HSET', K.offered, link, now)
      redis.call('HDEL', K.lease, link)
      emit('queued', link, 'reason', 'released')
      result[#result + 1] = link
    end
    result[3] = #result - 3
  end
  return result
end

redis.call('HSET', K.status, node, 'failed')
emit('failed', node, 'error', ARGV[2], 'policy', policy)
redis.call('HSET', K.error, node, ARGV[2])
redis.call('HSET', K.finished, node, now)
redis.call('HINCRBY', K.meta, 'failedCount', 1)
redis.call('HINCRBY', K.meta, 'terminalCount', 1)
if s ~= 'pending' then redis.call('HINCRBY', K.meta, 'inflight', -1) end
redis.call('ZREM', K.ready, node)
level_done(node)

if policy == 'fail-fast' then
  cancel_rest(now)
  local stopped = {1, finish_as('failed', now), #compensation_taken}
  note_compensation_taken(node)
  for _, id in ipairs(compensation_taken) do stopped[#stopped + 1] = id end
  return stopped
end
if policy == 'compensation' then compensation_failed(node) end
if policy == 'continue' then
  redis.call('HSET', K.output, node, ARGV[8])
  redis.call('HSET', K.meta, 'tolerated:' .. node, 1)
  redis.call('HINCRBY', K.meta, 'toleratedCount', 1)
  for _, d in ipairs(csv(redis.call('HGET', K.dependents, node))) do
    local left = redis.call('HINCRBY', K.pending, d, -1)
    if left == 0 and redis.call('HGET', K.status, d) == 'pending' then release(d) end
  end
end

local skipped = {}
local queue = {node}
if policy == 'continue' or policy == 'compensation' then queue = {} end
local seen = {}
local head = 1
while head <= #queue do
  local current = queue[head]
  head = head + 1
  for _, d in ipairs(csv(redis.call('HGET', K.dependents, current))) do
    if not seen[d] then
      seen[d] = true
      if redis.call('HGET', K.status, d) == 'pending' then
        redis.call('HSET', K.status, d, 'skipped')
        redis.call('HSET', K.error, d, 'skipped: upstream node ' .. node .. ' failed')
        redis.call('HINCRBY', K.meta, 'skippedCount', 1)
        redis.call('HINCRBY', K.meta, 'terminalCount', 1)
        level_done(d)
        emit('skipped', d, 'upstream', node)
        skipped[#skipped + 1] = d
      end
      queue[#queue + 1] = d
    end
  end
end
open_levels()
local taken = take_for(node, now)

keep_ttl()
local result = {1, finish_if_done(now), #taken}
for _, id in ipairs(taken) do result[#result + 1] = id end
-- the run began compensating (compensate.ts): its compensations are published with what the node took
note_compensation_taken(node)
for _, id in ipairs(compensation_taken) do result[#result + 1] = id end
result[3] = #taken + #compensation_taken
for _, id in ipairs(skipped) do result[#result + 1] = id end
return result
`;
