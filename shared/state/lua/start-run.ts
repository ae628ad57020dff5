import { LUA_PRELUDE } from "./prelude.js";

/**
 * start_run: creates a run atomically, or reports the run that already holds this id.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] fingerprint    SHA-256 of the trigger (tenant, workflow, input, simulate, budget), to detect a reused
 *                        idempotency key
 * ARGV[2] now            ms since epoch
 * ARGV[3] activeTtl      seconds every key lives while the run is active (a safety net; reset to the retention
 *                        when the run finishes)
 * ARGV[4] def            the frozen definition (JSON), stored as is
 * ARGV[5] m              number of meta field/value pairs that follow
 * ARGV[6 .. 5+2m]        meta fields and values (must include nodeCount, retentionSeconds, concurrency, prefetch,
 *                        mode, levelCount)
 * then, per node, five values: nodeId, pending dependency count, comma-separated dependents, level, priority
 *
 * Returns `{1, "running", taken…}` when it created the run: the roots join the ready set and the first
 * `concurrency` + `prefetch` of them (highest priority first) are taken (`queued`) for dispatch. Returns `{0, status,
 * fingerprint}` when the run already exists (nothing is changed).
 */

/** start_run as Lua source, the run prelude included (run-store.ts `startRun`). */
export const START_RUN_LUA = `${LUA_PRELUDE}
local fingerprint = ARGV[1]
local now = ARGV[2]
local active_ttl = tonumber(ARGV[3])
local def = ARGV[4]
local m = tonumber(ARGV[5])

if redis.call('EXISTS', K.meta) == 1 then
  return {0, redis.call('HGET', K.meta, 'status') or '', redis.call('HGET', K.meta, 'fingerprint') or ''}
end

redis.call('HSET', K.meta, 'status', 'running', 'fingerprint', fingerprint, 'createdAt', now, 'startedAt', now,
  'terminalCount', 0, 'doneCount', 0, 'failedCount', 0, 'skippedCount', 0, 'inputTokens', 0, 'outputTokens', 0,
  'inflight', 0, 'openLevel', 1)
for i = 6, 5 + 2 * m, 2 do
  redis.call('HSET', K.meta, ARGV[i], ARGV[i + 1])
end
redis.call('SET', K.def, def)

local by_level = {}
for i = 6 + 2 * m, #ARGV, 5 do
  local node = ARGV[i]
  local pending = tonumber(ARGV[i + 1])
  local lvl = ARGV[i + 3]
  redis.call('HSET', K.pending, node, pending)
  if ARGV[i + 2] ~= '' then
    redis.call('HSET', K.dependents, node, ARGV[i + 2])
  end
  redis.call('HSET', K.status, node, 'pending')
  redis.call('HSET', K.level, node, lvl)
  redis.call('HSET', K.priority, node, ARGV[i + 4])
  redis.call('HINCRBY', K.levelLeft, lvl, 1)
  if not by_level[lvl] then by_level[lvl] = {} end
  local list = by_level[lvl]
  list[#list + 1] = node
  if pending == 0 then
    redis.call('ZADD', K.ready, ARGV[i + 4], node)
  end
end
for lvl, list in pairs(by_level) do
  redis.call('HSET', K.levelNodes, lvl, table.concat(list, ','))
end

emit('run-started', '', 'nodes', redis.call('HGET', K.meta, 'nodeCount'))
local result = {1, 'running'}
for _, node in ipairs(take(now)) do result[#result + 1] = node end
for i = 1, #KEYS do
  redis.call('EXPIRE', KEYS[i], active_ttl)
end
return result
`;
