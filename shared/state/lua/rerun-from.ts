import { LUA_FORGET_MAP } from "./expand-map.js";
import { LUA_PRELUDE } from "./prelude.js";

/**
 * rerun_from: `POST /v1/runs/:id/rerun {from}` recomputes node `from` and its descendants in a run that is not
 * running, keeping everything else. They go back to `pending` (each one's ending of the earlier try appended to
 * `history`; attempts keep counting; their old outputs stay until the new ones replace them); the run becomes
 * `running` under a new try and dispatch generation (as retry_run), and `from`, whose dependencies are all done, is
 * taken for dispatch.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] now         ms since epoch
 * ARGV[2] generation  the new dispatch generation (ms since epoch; current + 1 if not greater than the current)
 * ARGV[3] activeTtl   seconds every key lives while the run is active
 * ARGV[4] key         the request's Idempotency-Key, or '' (meta `action:<key>` = "rerun|<from>|<try>|<reset>")
 * ARGV[5] from        the node to recompute
 *
 * A map node in the rerun set expands again (its children are forgotten: expand-map.ts `forget_map`), unless the
 * rerun starts at one of its children: then that child runs again and the map joins its children's outputs again.
 *
 * Returns `{1, try, reset, generation, taken…}` when applied, `{2, try, reset, generation}` for a repeat of the same key and node, `{0,
 * reason, detail}` otherwise: `missing`, `running`, `unknown-node`, `blocked` (detail: a node outside the rerun set,
 * not done, that `from` or one of its descendants depends on), or `idempotency-conflict` (the key was used for another action or node).
 */

/** rerun_from as Lua source, the run prelude included (run-store.ts `rerunFrom`). */
export const RERUN_FROM_LUA = `${LUA_PRELUDE}${LUA_FORGET_MAP}
local now = ARGV[1]
local key = ARGV[4]
local from = ARGV[5]
local run_status = redis.call('HGET', K.meta, 'status')
if not run_status then return {0, 'missing', ''} end
if key ~= '' then
  local done_before = redis.call('HGET', K.meta, 'action:' .. key)
  if done_before then
    local kind, was, t, reset = string.match(done_before, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    if kind ~= 'rerun' or was ~= from then return {0, 'idempotency-conflict', ''} end
    return {2, tonumber(t), tonumber(reset), current_generation()}
  end
end
if run_status == 'running' then return {0, 'running', ''} end
-- a compensated run's done work was undone: it is not rerun (shared/state/lua/compensate.ts)
if redis.call('HGET', K.meta, 'compensation') then return {0, 'compensated', ''} end
if not redis.call('HGET', K.status, from) then return {0, 'unknown-node', from} end
-- the rerun set: \`from\` and its descendants
local queue = {from}
local seen = {[from] = true}
local head = 1
while head <= #queue do
  local id = queue[head]
  head = head + 1
  for _, d in ipairs(csv(redis.call('HGET', K.dependents, id))) do
    if not seen[d] then
      seen[d] = true
      queue[#queue + 1] = d
    end
  end
end
-- every dependency from outside the set must be done (a failure tolerated by \`continue\` counts as done), or a
-- node of the set would wait for it for good
local deps = redis.call('HGETALL', K.dependents)
for i = 1, #deps, 2 do
  local p = deps[i]
  if not seen[p] and redis.call('HGET', K.status, p) ~= 'done' and not redis.call('HGET', K.meta, 'tolerated:' .. p)
      and not forgotten_child(p, seen, from) then
    for _, d in ipairs(csv(deps[i + 1])) do
      if seen[d] then return {0, 'blocked', p} end
    end
  end
end

local t = tonumber(redis.call('HGET', K.meta, 'try') or '1')
local gen = math.max(tonumber(ARGV[2]), tonumber(current_generation()) + 1)
for _, id in ipairs(queue) do forget_map(id, from) end
for _, id in ipairs(queue) do
  archive(id, t)
  redis.call('HSET', K.status, id, 'pending')
  redis.call('HDEL', K.started, id)
  redis.call('HDEL', K.finished, id)
end
redis.call('DEL', K.took, K.lease)
emit('rerun', '', 'try', t + 1, 'from', from, 'nodes', table.concat(queue, ','))
rebuild()
redis.call('HSET', K.meta, 'status', 'running', 'try', t + 1, 'generation', gen, 'triedAt', now, 'rerunFrom', from)
redis.call('HDEL', K.meta, 'finishedAt')
if key ~= '' then redis.call('HSET', K.meta, 'action:' .. key, 'rerun|' .. from .. '|' .. (t + 1) .. '|' .. #queue) end
local taken = take(now)
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[3])) end
end
local result = {1, t + 1, #queue, gen}
for _, id in ipairs(taken) do result[#result + 1] = id end
return result
`;
