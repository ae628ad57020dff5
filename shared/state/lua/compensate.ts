/**
 * Lua helpers of saga compensation, part of the run prelude (prelude.ts). A node with a `compensate` step has a
 * synthetic node `<id>~compensate` (shared/dag/compensation.ts); start_run stores meta `compensable` (those node
 * ids, topological order) and, per such node, meta `comp:<id>` (its nearest compensable descendants).
 *
 * {@link LUA_COMPENSATE_BEGIN} (before `finish_as`):
 * - `is_compensation(id)`: whether `id` is a compensation node;
 * - `begin_compensation(final, now)`: called by `finish_as` when a run would end `failed` or `cancelled`. When a
 *   compensable node is `done`, the run keeps its stored status `running` (the view shows `compensating`) and
 *   gets meta `compensation = running`, `finalStatus = final`, `compensationReason` (the first node that failed
 *   for good, `<id>: <error>`, else `cancelled`); every compensable node's compensation joins the
 *   run's nodes (`nodeCount`): a done node's is `pending`, waiting for the compensations of the done compensable
 *   nodes below it (reverse topological order, looking through compensable nodes that did not finish), level 0
 *   (never held back by `levels` mode), priority its node's level (deepest first); any other's is `skipped`. The
 *   ready ones are taken like any node (`take`) into `compensation_taken`, which the calling script returns for
 *   dispatch and appends to what its node took (`note_compensation_taken(node)`, so a repeat offers them again).
 *   Returns false (nothing changed) when no compensable node is done or compensation has already begun.
 * - `compensation_failed(node)`: a compensation failed for good: counted (meta `compensationFailed`), and the
 *   compensations waiting for it are released anyway (a failed undo never blocks the others).
 * {@link LUA_COMPENSATE_END} (after `finish_as`):
 * - `finish_compensation(now)`: once every compensation is terminal, meta `compensation` becomes `completed` or
 *   `failed` (any compensation failed) and the run ends with its `finalStatus`; nil when not compensating.
 */

/** The part of the compensation helpers that `finish_as` calls (Lua source). */
export const LUA_COMPENSATE_BEGIN = `
local compensation_taken = {}

local function is_compensation(id)
  return string.sub(id, -11) == '~compensate'
end

local function begin_compensation(final, now)
  if redis.call('HGET', K.meta, 'compensation') then return false end
  local ids = csv(redis.call('HGET', K.meta, 'compensable'))
  local done = {}
  local any = false
  for _, id in ipairs(ids) do
    if redis.call('HGET', K.status, id) == 'done' then
      done[id] = true
      any = true
    end
  end
  if not any then return false end
  -- waits[id]: the done compensable nodes whose compensations go before id's; ids are topological, so walking
  -- them backwards finds every descendant's list ready
  local waits = {}
  for i = #ids, 1, -1 do
    local id = ids[i]
    local out, seen = {}, {}
    for _, d in ipairs(csv(redis.call('HGET', K.meta, 'comp:' .. id))) do
      local through = done[d] and {d} or (waits[d] or {})
      for _, e in ipairs(through) do
        if not seen[e] then
          seen[e] = true
          out[#out + 1] = e
        end
      end
    end
    waits[id] = out
  end
  -- why the run stopped ({{run.error}}): the first node that failed for good, else the cancel
  local reason, first = final, nil
  local flat = redis.call('HGETALL', K.status)
  for i = 1, #flat, 2 do
    if flat[i + 1] == 'failed' and not redis.call('HGET', K.meta, 'tolerated:' .. flat[i]) then
      local at = tonumber(redis.call('HGET', K.finished, flat[i]) or '0')
      if not first or at < first then
        first = at
        reason = flat[i] .. ': ' .. (redis.call('HGET', K.error, flat[i]) or 'failed')
      end
    end
  end
  redis.call('HSET', K.meta, 'compensation', 'running', 'finalStatus', final, 'compensationStartedAt', now,
    'compensationReason', reason)
  emit('compensating', '', 'finalStatus', final, 'reason', reason)
  local dependents = {}
  local skipped = 0
  for _, id in ipairs(ids) do
    local c = id .. '~compensate'
    redis.call('HSET', K.level, c, 0)
    redis.call('HSET', K.priority, c, redis.call('HGET', K.level, id) or 0)
    if done[id] then
      redis.call('HSET', K.status, c, 'pending')
      redis.call('HSET', K.pending, c, #waits[id])
      for _, d in ipairs(waits[id]) do
        local dc = d .. '~compensate'
        dependents[dc] = dependents[dc] and (dependents[dc] .. ',' .. c) or c
      end
    else
      redis.call('HSET', K.status, c, 'skipped')
      redis.call('HSET', K.error, c, 'skipped: node ' .. id .. ' did not finish')
      redis.call('HSET', K.finished, c, now)
      skipped = skipped + 1
      emit('skipped', c, 'upstream', id)
    end
  end
  for c, list in pairs(dependents) do redis.call('HSET', K.dependents, c, list) end
  redis.call('HINCRBY', K.meta, 'nodeCount', #ids)
  redis.call('HINCRBY', K.meta, 'terminalCount', skipped)
  redis.call('HSET', K.meta, 'inflight', 0)
  for _, id in ipairs(ids) do
    if done[id] and #waits[id] == 0 then release(id .. '~compensate') end
  end
  compensation_taken = take(now)
  keep_ttl()
  return true
end

local function compensation_failed(node)
  redis.call('HINCRBY', K.meta, 'compensationFailed', 1)
  for _, d in ipairs(csv(redis.call('HGET', K.dependents, node))) do
    local left = redis.call('HINCRBY', K.pending, d, -1)
    if left == 0 and redis.call('HGET', K.status, d) == 'pending' then release(d) end
  end
end

local function note_compensation_taken(node)
  if #compensation_taken == 0 then return end
  local old = redis.call('HGET', K.took, node)
  local list = table.concat(compensation_taken, ',')
  redis.call('HSET', K.took, node, (old and old ~= '') and (old .. ',' .. list) or list)
end
`;

/** The part of the compensation helpers that needs `finish_as` (Lua source). */
export const LUA_COMPENSATE_END = `
local function finish_compensation(now)
  if redis.call('HGET', K.meta, 'compensation') ~= 'running' then return nil end
  local outcome = tonumber(redis.call('HGET', K.meta, 'compensationFailed') or '0') > 0 and 'failed' or 'completed'
  redis.call('HSET', K.meta, 'compensation', outcome, 'compensationFinishedAt', now)
  emit('compensation-finished', '', 'outcome', outcome)
  return finish_as(redis.call('HGET', K.meta, 'finalStatus') or 'failed', now)
end
`;
