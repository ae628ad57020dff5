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
 * ARGV[4..] upstream node ids whose output refs the caller needs (read in the same round trip)
 *
 * Returns `{1, attempt, ref…}` when this delivery holds the node (status `running`, attempts + 1), with one output
 * ref per upstream id in ARGV order ('' when missing), or `{0, reason, queued…}` with reason `duplicate` (same
 * lease already running, or a newer attempt of the same message running it), the node's terminal/pending status,
 * or `run-<status>` when the run is not running. For a node already `done` or `failed` in a running run, `queued…` are the nodes its transition
 * took that are still `queued`: the delivery that completed it may have died before publishing them (its QStash
 * retry then lands here), so the caller publishes them again; their deduplication ids make that safe.
 *
 * A delivery of the same message may have gone on to run the nodes its completions took (a chain:
 * shared/engine/delivery.ts; each chained node's lease names the message). So for a finished node the script
 * follows that chain: through each finished link, collecting what it took that is still `queued`, to the first
 * link not finished, `running` under an older attempt of the message (whose delivery died or timed out), which
 * this delivery takes over and resumes: `{2, nodeId, attempt, queued…}`. A link `running` under this attempt or a
 * newer one answers `{0, 'duplicate'}` (the same delivery sent twice, or a late older one).
 */

/** claim_node as Lua source, the run prelude included (run-store.ts `claimNode`). */
export const CLAIM_NODE_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
local lease = ARGV[2]
local now = ARGV[3]

local run_status = redis.call('HGET', K.meta, 'status')
if run_status ~= 'running' then
  return {0, 'run-' .. (run_status or 'missing')}
end
local s = redis.call('HGET', K.status, node)
if not s then
  return {0, 'unknown-node'}
end
local held_by = redis.call('HGET', K.lease, node)
if s == 'running' and held_by == lease then
  return {0, 'duplicate'}
end
-- a late older attempt of the same message does not take the node back from a newer one
if s == 'running' and held_by and lease_message(held_by) == lease_message(lease) and lease_attempt(held_by) > lease_attempt(lease) then
  return {0, 'duplicate'}
end
if s == 'queued' or s == 'retrying' or s == 'running' then
  local result = {1, hold(node, lease, now)}
  keep_ttl()
  for i = 4, #ARGV do
    result[#result + 1] = redis.call('HGET', K.output, ARGV[i]) or ''
  end
  return result
end
if not is_terminal(s) then return {0, s} end
local queued, link, link_status = follow_chain(node, lease_message(lease))
if link_status == 'running' then
  -- the same attempt delivered twice, or a late older attempt while a newer one holds the link: not this one's
  if lease_attempt(redis.call('HGET', K.lease, link)) >= lease_attempt(lease) then return {0, 'duplicate'} end
  local resumed = {2, link, hold(link, lease, now)}
  keep_ttl()
  for _, id in ipairs(queued) do resumed[#resumed + 1] = id end
  return resumed
end
local result = {0, s}
for _, id in ipairs(queued) do result[#result + 1] = id end
return result
`;
