import { LUA_PRELUDE } from "./prelude.js";

/**
 * fail_node: a node failed for good (retries exhausted or a non-retryable error). Marks it `failed`, marks every
 * descendant that has not run `skipped`, and finishes the run as `failed` once nothing else is active; branches that
 * do not depend on the failed node keep running to completion.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] error   message recorded on the node
 * ARGV[3] now     ms since epoch
 *
 * Returns `{1, runStatus, skipped…}` when applied, or `{0, runStatus}` when the node was already terminal or the run
 * is not running (a duplicate failure callback).
 */
export const FAIL_NODE_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
local now = ARGV[3]
local run_status = redis.call('HGET', K.meta, 'status')
local s = redis.call('HGET', K.status, node)
if run_status ~= 'running' or (not s) or is_terminal(s) then
  return {0, run_status or 'missing'}
end

redis.call('HSET', K.status, node, 'failed')
redis.call('HSET', K.error, node, ARGV[2])
redis.call('HSET', K.finished, node, now)
redis.call('HINCRBY', K.meta, 'failedCount', 1)
redis.call('HINCRBY', K.meta, 'terminalCount', 1)

local result = {1, ''}
local queue = {node}
local seen = {}
local head = 1
while head <= #queue do
  local csv = redis.call('HGET', K.dependents, queue[head])
  head = head + 1
  if csv then
    for d in string.gmatch(csv, '[^,]+') do
      if not seen[d] then
        seen[d] = true
        local ds = redis.call('HGET', K.status, d)
        if ds == 'pending' or ds == 'queued' then
          redis.call('HSET', K.status, d, 'skipped')
          redis.call('HSET', K.error, d, 'skipped: upstream node ' .. node .. ' failed')
          redis.call('HINCRBY', K.meta, 'skippedCount', 1)
          redis.call('HINCRBY', K.meta, 'terminalCount', 1)
          result[#result + 1] = d
        end
        queue[#queue + 1] = d
      end
    end
  end
end
result[2] = finish_if_done(now)
return result
`;
