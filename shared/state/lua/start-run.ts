import { LUA_PRELUDE } from "./prelude.js";

/**
 * start_run: creates a run atomically, or reports the run that already holds this id.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] fingerprint    SHA-256 of the trigger (tenant, workflow, input), to detect a reused idempotency key
 * ARGV[2] now            ms since epoch
 * ARGV[3] activeTtl      seconds every key lives while the run is active (a safety net; reset to the retention
 *                        when the run finishes)
 * ARGV[4] def            the frozen definition (JSON), stored as is
 * ARGV[5] m              number of meta field/value pairs that follow
 * ARGV[6 .. 5+2m]        meta fields and values (must include nodeCount and retentionSeconds)
 * then, per node, three values: nodeId, pending dependency count, comma-separated dependents
 *
 * Returns `{1, "running", root…}` when it created the run (roots are set `queued`), or
 * `{0, status, fingerprint}` when the run already exists (nothing is changed).
 */
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
  'terminalCount', 0, 'doneCount', 0, 'failedCount', 0, 'skippedCount', 0, 'inputTokens', 0, 'outputTokens', 0)
for i = 6, 5 + 2 * m, 2 do
  redis.call('HSET', K.meta, ARGV[i], ARGV[i + 1])
end
redis.call('SET', K.def, def)

local roots = {}
for i = 6 + 2 * m, #ARGV, 3 do
  local node = ARGV[i]
  local pending = tonumber(ARGV[i + 1])
  redis.call('HSET', K.pending, node, pending)
  if ARGV[i + 2] ~= '' then
    redis.call('HSET', K.dependents, node, ARGV[i + 2])
  end
  if pending == 0 then
    redis.call('HSET', K.status, node, 'queued')
    roots[#roots + 1] = node
  else
    redis.call('HSET', K.status, node, 'pending')
  end
end

for i = 1, #KEYS do
  redis.call('EXPIRE', KEYS[i], active_ttl)
end
local result = {1, 'running'}
for _, node in ipairs(roots) do result[#result + 1] = node end
return result
`;
