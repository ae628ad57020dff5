import { LUA_PRELUDE } from "./prelude.js";

/**
 * sweep_run: applies the sweeper's repairs to one active run, atomically, after re-checking each one, and keeps the
 * run's keys alive while it is active (shared/engine/sweeper.ts decides the repairs from a snapshot; this script
 * refuses any whose node moved on since).
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] now         ms since epoch
 * ARGV[2] keepTtl     seconds every run key is given (an active run's TTL, counted from this sweep)
 * then, per repair, four values: nodeId, reason, status the snapshot saw (`queued`, `running` or `retrying`), and
 * the time the snapshot saw (`offered` of a queued node, else `started`; '' when absent)
 *
 * A repair applies while the node still has that status and time (no delivery took it since): its `offered` time
 * becomes `now` (the grace period starts again) and `"<now>|<nodeId>|<reason>"` is appended to the run's `repairs`
 * list (the latest 100 kept). Then, when nodes wait in the ready set while the run has free slots, `take(now)`
 * takes them (repair reason `ready-not-taken`).
 *
 * Returns `{runStatus, nodeId, reason, …}`: the repairs applied, to publish; `{runStatus}` alone for a run that is
 * not running (`missing` when it expired), with nothing changed.
 */

/** sweep_run as Lua source, the run prelude included (sweep-store.ts `apply`). */
export const SWEEP_RUN_LUA = `${LUA_PRELUDE}
local now = ARGV[1]
local keep = tonumber(ARGV[2])
local run_status = redis.call('HGET', K.meta, 'status')
if run_status ~= 'running' then return {run_status or 'missing'} end

local result = {'running'}
local function record(node, reason)
  redis.call('HSET', K.offered, node, now)
  redis.call('RPUSH', K.repairs, now .. '|' .. node .. '|' .. reason)
  emit('repair', node, 'reason', reason)
  result[#result + 1] = node
  result[#result + 1] = reason
end

for i = 3, #ARGV, 4 do
  local node, reason, seen, mark = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local time_field = K.started
  if seen == 'queued' then time_field = K.offered end
  if redis.call('HGET', K.status, node) == seen and (redis.call('HGET', time_field, node) or '') == mark then
    record(node, reason)
  end
end
if redis.call('ZCARD', K.ready) > 0 then
  for _, node in ipairs(take(now)) do record(node, 'ready-not-taken') end
end
redis.call('LTRIM', K.repairs, -100, -1)
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], keep) end
end
return result
`;
