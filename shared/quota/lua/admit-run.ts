/**
 * Quota scripts (quota-store.ts). Every key of one tenant shares the hash tag `{quota:<tenant>}`, so each script
 * touches one hash slot:
 * - KEYS[1] `…:rpm:<minute>`: runs started in that epoch minute (string counter, TTL 120 s);
 * - KEYS[2] `…:nodes:<day>`: nodes of the runs started that UTC day (string counter, TTL 2 days);
 * - KEYS[3] `…:live`: sorted set of the tenant's live runs, member = run id, score = admission time (ms).
 */

/**
 * admit_run: admits a run start, or refuses it changing nothing.
 *
 * ARGV[1] runId            ARGV[2] now (ms)          ARGV[3] nodeCount
 * ARGV[4] runsPerMinute    ARGV[5] concurrentRuns    ARGV[6] nodesPerDay   (each -1 when unlimited)
 * ARGV[7] liveTtl          seconds a live entry is kept at most (the active run TTL): older entries are dropped
 * ARGV[8..] stale run ids  entries the caller found finished or gone: removed before counting
 *
 * Returns `{1, "admitted"}` (counters incremented, run added to the live set), `{1, "repeat"}` (the run id is already
 * live: an idempotent repeat, nothing counted), or `{0, quota, …}` with quota `runsPerMinute`, `nodesPerDay` or
 * `concurrentRuns` (then followed by the live set as `runId, score` pairs, for the caller to find finished runs).
 * A refusal writes nothing but the removal of stale entries.
 */
export const ADMIT_RUN_LUA = `
local run_id = ARGV[1]
local now = tonumber(ARGV[2])
local nodes = tonumber(ARGV[3])
local per_minute = tonumber(ARGV[4])
local concurrent = tonumber(ARGV[5])
local per_day = tonumber(ARGV[6])
local live_ttl = tonumber(ARGV[7])

for i = 8, #ARGV do
  redis.call('ZREM', KEYS[3], ARGV[i])
end
if concurrent >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - live_ttl * 1000)
  if redis.call('ZSCORE', KEYS[3], run_id) then return {1, 'repeat'} end
end
if per_minute >= 0 and tonumber(redis.call('GET', KEYS[1]) or '0') + 1 > per_minute then
  return {0, 'runsPerMinute'}
end
if per_day >= 0 and tonumber(redis.call('GET', KEYS[2]) or '0') + nodes > per_day then
  return {0, 'nodesPerDay'}
end
if concurrent >= 0 and redis.call('ZCARD', KEYS[3]) >= concurrent then
  local out = {0, 'concurrentRuns'}
  local live = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
  for i = 1, #live do out[#out + 1] = live[i] end
  return out
end
if per_minute >= 0 then
  redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], 120)
end
if per_day >= 0 then
  redis.call('INCRBY', KEYS[2], nodes)
  redis.call('EXPIRE', KEYS[2], 172800)
end
if concurrent >= 0 then
  redis.call('ZADD', KEYS[3], now, run_id)
  redis.call('EXPIRE', KEYS[3], live_ttl)
end
return {1, 'admitted'}
`;

/**
 * release_run: undoes one `admitted` answer of admit_run whose run was not created after all (an idempotent repeat
 * of a finished run, or a start whose root nodes the queue refused). Same KEYS as that admission (its window keys).
 *
 * ARGV[1] runId   ARGV[2] nodeCount   ARGV[3] counted rate (1/0)   ARGV[4] counted nodes (1/0)
 *
 * Decrements never go below zero; the live entry is removed. Returns 1.
 */
export const RELEASE_RUN_LUA = `
if ARGV[3] == '1' and tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
if ARGV[4] == '1' then
  local left = tonumber(redis.call('GET', KEYS[2]) or '0')
  if left > 0 then redis.call('DECRBY', KEYS[2], math.min(left, tonumber(ARGV[2]))) end
end
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;
