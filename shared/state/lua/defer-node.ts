import { LUA_PRELUDE } from "./prelude.js";

/**
 * defer_node: a delivery that holds a node gives it back without running it (it found an identical call in flight
 * and will come back for its result), so the next delivery of the node can claim it. The node keeps its slot.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] lease   lease of the delivery that holds the node ("<messageId>:<retried>")
 *
 * Returns `{1}` when the node went back to `queued` (the claim's attempt is not counted), else `{0, status}`.
 */
export const DEFER_NODE_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
if redis.call('HGET', K.meta, 'status') ~= 'running' then
  return {0, 'run-not-running'}
end
local s = redis.call('HGET', K.status, node)
if s ~= 'running' or redis.call('HGET', K.lease, node) ~= ARGV[2] then
  return {0, s or 'unknown-node'}
end
redis.call('HSET', K.status, node, 'queued')
redis.call('HDEL', K.lease, node)
redis.call('HINCRBY', K.attempts, node, -1)
emit('deferred', node)
return {1}
`;
