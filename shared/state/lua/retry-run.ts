import { LUA_PRELUDE } from "./prelude.js";

/**
 * retry_run: `POST /v1/runs/:id/retry` resumes a failed or cancelled run in place. Its `failed`, `skipped` and
 * `cancelled` nodes go back to `pending` (each one's ending of the earlier try appended to `history`; attempts keep
 * counting); `done` nodes keep their outputs and are not run again. The run becomes `running` again under a new try
 * (meta `try` + 1) and a new dispatch generation (meta `generation`: fresh QStash deduplication ids, and claim_node
 * refuses the earlier try's messages), and the ready nodes are taken for dispatch.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] now         ms since epoch
 * ARGV[2] generation  the new dispatch generation (ms since epoch; current + 1 if not greater than the current)
 * ARGV[3] activeTtl   seconds every key lives while the run is active
 * ARGV[4] key         the request's Idempotency-Key, or '': the same key answers the first answer again (meta
 *                     `action:<key>` = "retry||<try>|<reset>") and changes nothing
 *
 * Returns `{1, try, reset, generation, taken…}` when applied (reset = nodes put back to pending; taken = nodes to publish),
 * `{2, try, reset, generation}` for a repeat of the same key, `{0, reason}` otherwise: `missing`, `running`, `completed` (nothing
 * to retry), or `idempotency-conflict` (the key was used for another action).
 */

/** retry_run as Lua source, the run prelude included (run-store.ts `retryRun`). */
export const RETRY_RUN_LUA = `${LUA_PRELUDE}
local now = ARGV[1]
local key = ARGV[4]
local run_status = redis.call('HGET', K.meta, 'status')
if not run_status then return {0, 'missing'} end
if key ~= '' then
  local done_before = redis.call('HGET', K.meta, 'action:' .. key)
  if done_before then
    local kind, from, t, reset = string.match(done_before, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    if kind ~= 'retry' then return {0, 'idempotency-conflict'} end
    return {2, tonumber(t), tonumber(reset), current_generation()}
  end
end
if run_status == 'running' or run_status == 'completed' then return {0, run_status} end
-- a compensated run's done work was undone: it is not resumed (shared/state/lua/compensate.ts)
if redis.call('HGET', K.meta, 'compensation') then return {0, 'compensated'} end

local t = tonumber(redis.call('HGET', K.meta, 'try') or '1')
local gen = math.max(tonumber(ARGV[2]), tonumber(current_generation()) + 1)
local flat = redis.call('HGETALL', K.status)
local reset = 0
local reset_ids = {}
for i = 1, #flat, 2 do
  local id, s = flat[i], flat[i + 1]
  if s == 'failed' or s == 'skipped' or s == 'cancelled' then
    archive(id, t)
    redis.call('HSET', K.status, id, 'pending')
    redis.call('HDEL', K.started, id)
    redis.call('HDEL', K.finished, id)
    reset = reset + 1
    reset_ids[reset] = id
  end
end
redis.call('DEL', K.took, K.lease)
emit('retry', '', 'try', t + 1, 'nodes', table.concat(reset_ids, ','))
rebuild()
redis.call('HSET', K.meta, 'status', 'running', 'try', t + 1, 'generation', gen, 'triedAt', now)
redis.call('HDEL', K.meta, 'finishedAt')
if key ~= '' then redis.call('HSET', K.meta, 'action:' .. key, 'retry||' .. (t + 1) .. '|' .. reset) end
local taken = take(now)
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[3])) end
end
local result = {1, t + 1, reset, gen}
for _, id in ipairs(taken) do result[#result + 1] = id end
return result
`;
