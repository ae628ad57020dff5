import { LUA_PRELUDE } from "./prelude.js";

/**
 * complete_node: records a node's output once and releases the dependents whose last dependency it was.
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
 *
 * Returns `{1, runStatus, ready…}` when it applied the completion; `ready` are the dependents that just became
 * ready (now `queued`). A duplicate or late callback returns `{0, runStatus, queued…}` and changes nothing; for an
 * already-done node it lists the dependents still `queued` (released but maybe never dispatched, e.g. the first
 * callback died before publishing), so the caller can publish them again: their deduplication ids make that safe.
 */
export const COMPLETE_NODE_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
local now = ARGV[2]

local run_status = redis.call('HGET', K.meta, 'status')
local s = redis.call('HGET', K.status, node)
local function dependents()
  local list = {}
  local csv = redis.call('HGET', K.dependents, node)
  if csv then
    for d in string.gmatch(csv, '[^,]+') do list[#list + 1] = d end
  end
  return list
end

if (not s) or is_terminal(s) or s == 'pending' or run_status ~= 'running' then
  local result = {0, run_status or 'missing'}
  if s == 'done' and run_status == 'running' then
    for _, d in ipairs(dependents()) do
      if redis.call('HGET', K.status, d) == 'queued' then result[#result + 1] = d end
    end
  end
  return result
end

redis.call('HSET', K.status, node, 'done')
redis.call('HSET', K.output, node, ARGV[3])
redis.call('HSET', K.usage, node, ARGV[4] .. ',' .. ARGV[5])
redis.call('HSET', K.model, node, ARGV[6])
redis.call('HSET', K.excerpt, node, ARGV[7])
redis.call('HSET', K.finished, node, now)
if ARGV[8] ~= '' then redis.call('HSET', K.started, node, ARGV[8]) end
redis.call('HDEL', K.error, node)
redis.call('HINCRBY', K.meta, 'doneCount', 1)
redis.call('HINCRBY', K.meta, 'terminalCount', 1)
redis.call('HINCRBY', K.meta, 'inputTokens', tonumber(ARGV[4]))
redis.call('HINCRBY', K.meta, 'outputTokens', tonumber(ARGV[5]))

local result = {1, ''}
for _, d in ipairs(dependents()) do
  local left = redis.call('HINCRBY', K.pending, d, -1)
  if left == 0 and redis.call('HGET', K.status, d) == 'pending' then
    redis.call('HSET', K.status, d, 'queued')
    result[#result + 1] = d
  end
end
result[2] = finish_if_done(now)
return result
`;
