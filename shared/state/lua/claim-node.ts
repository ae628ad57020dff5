import { RUN_KEY_NAMES } from "../keys.js";
import { LUA_PRELUDE } from "./prelude.js";

/**
 * claim_node: a delivery of `/internal/execute` takes the node before running it, so that a message delivered twice
 * runs the provider once.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] lease   "<Upstash-Message-Id>:<Upstash-Retried>": the same delivery sent twice carries the same lease;
 *                 a QStash retry carries a new one and may take over a node whose previous attempt died
 * ARGV[3] now     ms since epoch
 * ARGV[4] generation  the message's dispatch generation ('' for a message from before generations were sent): a
 *                 message of an earlier try of the run (retry, rerun) is refused with reason `stale-generation`
 * ARGV[5] takeover  '' or the lease this delivery may take the node (or chain link) over from: the caller passes
 *                 the holder's lease once that holder's deadline has passed (shared/engine/take-node.ts); it
 *                 applies only while that lease still holds it
 * ARGV[6] tokenLease '' or the lease the request's delivery token is recorded under (delivery-tokens.ts): with
 *                 KEYS[#run keys + 1] the token's key and ARGV[7] its TTL (ms), the script records the token's single
 *                 use before anything else and answers `{0, 'replayed-delivery'}`, changing nothing, when it was
 *                 used under another lease (a replayed copy with other message headers); a copy under the same
 *                 lease is the same delivery sent twice, which the rest of the script handles (it waits for the
 *                 holder's outcome, never runs the node twice); the first claim of a request only
 * ARGV[7] ttl     ms the token is remembered (with ARGV[6])
 * ARGV[8..] upstream node ids whose output refs the caller needs (read in the same round trip)
 *
 * Returns `{1, attempt, ref…}` when this delivery holds the node (status `running`, attempts + 1), with one output
 * ref per upstream id in ARGV order ('' when missing), and for a map child `<map>[i]` one more element: its map's
 * expansion (meta `map:<map>`, lua/expand-map.ts; '' before it expanded); `{3, nodeId, startedAt, lease}` when another attempt holds
 * the node (`running` under `lease` since `startedAt`, ms): the same delivery sent twice, an older attempt of the
 * message, or any other message's delivery. Its outcome is not known yet, so the caller waits until the holder
 * finishes or its deadline passes (then takes over with ARGV[5]), and never answers success meanwhile. Else
 * `{0, reason, queued…}` with reason `superseded` (a newer attempt of the same message holds it: this delivery is
 * late, QStash has given up on it), the node's terminal/pending status,
 * `cancelled` when the run was cancelled, or `run-<status>` when it is not running otherwise. For a node already `done` or `failed` in a running run, `queued…` are the nodes its transition
 * took that are still `queued`: the delivery that completed it may have died before publishing them (its QStash
 * retry then lands here), so the caller publishes them again; their deduplication ids make that safe.
 *
 * A delivery of the same message may have gone on to run the nodes its completions took (a chain:
 * shared/engine/delivery.ts; each chained node's lease names the message). So for a finished node the script
 * follows that chain: through each finished link, collecting what it took that is still `queued`, to the first
 * link not finished: `retrying` (an older attempt gave it up) or `running` under an older attempt whose deadline
 * has passed (ARGV[5]), which this delivery takes over and resumes: `{2, nodeId, attempt, queued…}`. A link
 * `running` under this attempt, or an older one before its deadline, answers `{3, …}` as above; under a newer one,
 * `{0, 'superseded'}`.
 */

/** claim_node as Lua source, the run prelude included (run-store.ts `claimNode`). */
export const CLAIM_NODE_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
local lease = ARGV[2]
local now = ARGV[3]

if ARGV[6] ~= '' then
  local token_key = KEYS[${RUN_KEY_NAMES.length + 1}]
  local used = redis.call('GET', token_key)
  if used and used ~= ARGV[6] then return {0, 'replayed-delivery'} end
  if not used then redis.call('SET', token_key, ARGV[6], 'PX', ARGV[7]) end
end

local run_status = redis.call('HGET', K.meta, 'status')
if run_status == 'cancelled' then return {0, 'cancelled'} end
if run_status ~= 'running' then
  return {0, 'run-' .. (run_status or 'missing')}
end
if stale_generation(ARGV[4]) then return {0, 'stale-generation'} end
local s = redis.call('HGET', K.status, node)
if not s then
  return {0, 'unknown-node'}
end
local held_by = redis.call('HGET', K.lease, node)
-- a late older attempt of the same message does not take the node back from a newer one
if s == 'running' and held_by and lease_message(held_by) == lease_message(lease) and lease_attempt(held_by) > lease_attempt(lease) then
  return {0, 'superseded'}
end
-- another attempt holds it (the same delivery sent twice included): not taken before its deadline (ARGV[5])
if s == 'running' and held_by and held_by ~= ARGV[5] then
  return {3, node, redis.call('HGET', K.started, node) or '0', held_by}
end
if s == 'queued' or s == 'retrying' or s == 'running' then
  local result = {1, hold(node, lease, now)}
  keep_ttl()
  for i = 8, #ARGV do
    result[#result + 1] = redis.call('HGET', K.output, ARGV[i]) or ''
  end
  -- a map child reads its element from its map's expansion: answered here, not in a round trip of its own
  local map_id = string.match(node, '^(.+)%[%d+%]$')
  if map_id then result[#result + 1] = redis.call('HGET', K.meta, 'map:' .. map_id) or '' end
  return result
end
if not is_terminal(s) then return {0, s} end
local queued, link, link_status = follow_chain(node, lease_message(lease))
if link_status == 'running' or link_status == 'retrying' then
  local link_lease = redis.call('HGET', K.lease, link)
  -- a late older attempt while a newer one holds the link: not this one's
  if link_lease and lease_attempt(link_lease) > lease_attempt(lease) then return {0, 'superseded'} end
  -- the same attempt delivered twice, or an older one before its deadline: wait for its outcome
  if link_status == 'running' and link_lease ~= ARGV[5] then
    return {3, link, redis.call('HGET', K.started, link) or '0', link_lease or ''}
  end
  local resumed = {2, link, hold(link, lease, now)}
  keep_ttl()
  for _, id in ipairs(queued) do resumed[#resumed + 1] = id end
  return resumed
end
local result = {0, s}
for _, id in ipairs(queued) do result[#result + 1] = id end
return result
`;
