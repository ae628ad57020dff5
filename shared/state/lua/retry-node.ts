import { LUA_PRELUDE } from "./prelude.js";

/**
 * retry_node: an attempt failed and QStash will retry it; the node shows `retrying` with the attempt's error.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] error   the failed attempt's error message
 * ARGV[3] lease   lease of the failed delivery ("<messageId>:<retried>"); if a newer delivery already holds the node,
 *                 the late callback changes nothing
 * ARGV[4] release optional, '1': the node was run by a chain and is handed back to a message of its own
 *                 (shared/engine/delivery.ts): its lease is removed too, so no delivery of the chain's message
 *                 resumes it
 *
 * Returns `{1}` when the node was `running` (now `retrying`), else `{0, status}` and nothing changes (a late
 * callback for an attempt that a newer one already superseded, or a finished node).
 */
export const RETRY_NODE_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
if redis.call('HGET', K.meta, 'status') ~= 'running' then
  return {0, 'run-not-running'}
end
local s = redis.call('HGET', K.status, node)
if s ~= 'running' then
  return {0, s or 'unknown-node'}
end
if redis.call('HGET', K.lease, node) ~= ARGV[3] then
  return {0, 'superseded'}
end
redis.call('HSET', K.status, node, 'retrying')
emit(ARGV[4] == '1' and 'handed-back' or 'retrying', node, 'error', ARGV[2])
redis.call('HSET', K.error, node, ARGV[2])
if ARGV[4] == '1' then redis.call('HDEL', K.lease, node) end
keep_ttl()
return {1}
`;
