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
 * ref per upstream id in ARGV order ('' when missing), or `{0, reason, queued…}` with
 * reason `duplicate` (same lease already running), the node's terminal/pending status, or `run-<status>` when the run
 * is not running. For a node already `done` or `failed` in a running run, `queued…` are the nodes its transition
 * took that are still `queued`: the delivery that completed it may have died before publishing them (its QStash
 * retry then lands here), so the caller publishes them again; their deduplication ids make that safe.
 */
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
if s == 'running' and redis.call('HGET', K.lease, node) == lease then
  return {0, 'duplicate'}
end
if s == 'queued' or s == 'retrying' or s == 'running' then
  redis.call('HSET', K.status, node, 'running')
  redis.call('HSET', K.lease, node, lease)
  redis.call('HSET', K.started, node, now)
  keep_ttl()
  local result = {1, redis.call('HINCRBY', K.attempts, node, 1)}
  for i = 4, #ARGV do
    result[#result + 1] = redis.call('HGET', K.output, ARGV[i]) or ''
  end
  return result
end
local result = {0, s}
if is_terminal(s) then
  for _, id in ipairs(still_queued(node)) do result[#result + 1] = id end
end
return result
`;
