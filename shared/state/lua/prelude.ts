import { RUN_KEY_NAMES } from "../keys.js";
import { DEFAULT_EVENT_CAP } from "../run-events.js";
import { LUA_COMPENSATE_BEGIN, LUA_COMPENSATE_END } from "./compensate.js";

/**
 * Lua prelude shared by every run transition script.
 *
 * Binds `K.<name>` to `KEYS[i]` in {@link RUN_KEY_NAMES} order (so TypeScript and Lua cannot drift) and defines the
 * scheduling helpers every transition shares:
 * - `emit(type, node, field, value, …)`: appends one event to the run's event log (`XADD events MAXLEN ~ cap *`,
 *   cap = meta `eventCap`; shared/state/run-events.ts lists the types). `take`, `hold`, `cancel_rest` and
 *   `finish_as` emit their own events (`queued`, `started`, `cancelled`, `run-finished`), so a transition emits
 *   exactly what it changed, and a duplicate that changes nothing emits nothing;
 * - `csv(s)`: splits a comma-separated list (node ids never contain commas);
 * - `release(node)`: a node whose dependencies are all done joins the `ready` set (score = its priority), except in
 *   `levels` mode, where it waits until its whole level opens;
 * - `open_levels()`: `levels` mode only: while every node of the open level is terminal, opens the next level and
 *   puts its nodes in the ready set (the classic wave executor, kept for comparison);
 * - `take(now)`: moves the highest-priority ready nodes into `queued`, as many as the run's free slots
 *   (meta `concurrency` + meta `prefetch` − `inflight`; `prefetch` is shared/state/prefetch.ts's figure, 1 for a
 *   run started before it was stored; QStash flow control keeps the running ones at `concurrency`), and returns
 *   them for dispatch: longest remaining path first; `now` (ms) is recorded as each one's `offered` time, which the
 *   sweeper reads to tell a message that was lost from one still on its way (shared/engine/sweeper.ts);
 * - `take_for(node, now)`: `take(now)` for the transition of `node`, recording what it took (`took`) for
 *   `still_queued`;
 * - `still_queued(node)`: the nodes the transition of `node` took for dispatch that are still `queued`, which a
 *   repeat (a duplicate callback, a retried delivery of a node already done or failed) offers again: the first
 *   may have died before publishing them;
 * - `chained_after(node, msg)`: the node that `node`'s completion took and that a delivery of QStash message `msg`
 *   went on to run itself (its lease names that message: shared/engine/delivery.ts), or nil; a node handed back
 *   to a message of its own, or deferred, has no lease and is no longer found;
 * - `lease_message(lease)`, `lease_attempt(lease)`: a lease's message id and its `Upstash-Retried`;
 * - `follow_chain(node, msg)`: from a finished node along the chain of message `msg`: what the node and each
 *   finished link took that is still `queued`, and the first link not finished with its status (claim_node resumes
 *   it, fail_node releases it, offer_again only reads); a link met twice ends it;
 * - `hold(node, lease, now)`: the node becomes `running` under the lease (attempts + 1, returned);
 * - `keep_ttl()`: gives keys created after the start the run's remaining TTL (a run that never finishes still
 *   expires whole);
 * - compensation (compensate.ts): `finish_as` of a `failed` or `cancelled` run with done compensable nodes
 *   begins compensation instead (the run stays `running`), and `finish_if_done` ends it once they are terminal;
 * - `finish_if_done(now)`: once every node is terminal (done, failed, skipped or cancelled) marks the run
 *   `completed` (or `failed` if a node failed whose failure policy is not `continue`: meta `tolerated:<id>`),
 *   stamps `finishedAt` and sets every run key to expire after the run's retention (`finish_as(final, now)`);
 * - `current_generation()`, `stale_generation(gen)`: the run's dispatch generation (meta `generation`, set by each
 *   retry or rerun, else `createdAt`), and whether a message of generation `gen` belongs to an earlier try;
 * - `cancel_rest(now)`: every node not terminal becomes `cancelled` (a running one keeps its lease, so its call's
 *   output is still recorded), nothing stays ready or in flight (cancel_run, fail-fast);
 * - `archive(id, try)`, `rebuild()`: retry and rerun keep how a node ended each earlier try (`history`), then
 *   recount counters, pending dependency counts, levels and the ready set from the statuses.
 * Scripts stay free of `cjson` so they also run on the embedded in-memory store.
 */

/** The run prelude (the helpers above) as Lua source, prepended to every run transition script. */
export const LUA_PRELUDE = `
local K = {}
${RUN_KEY_NAMES.map((name, i) => `K["${name}"] = KEYS[${i + 1}]`).join("\n")}

local function is_terminal(s)
  return s == 'done' or s == 'failed' or s == 'skipped' or s == 'cancelled'
end

-- the run's dispatch generation: meta \`generation\` (set by each retry or rerun), else its creation time
local function current_generation()
  return redis.call('HGET', K.meta, 'generation') or redis.call('HGET', K.meta, 'createdAt') or ''
end

-- whether a message of dispatch generation \`gen\` belongs to an earlier try of the run ('' or nil: never stale)
local function stale_generation(gen)
  return gen ~= nil and gen ~= '' and gen ~= current_generation()
end

-- appends one event to the run's event log: its type, its node ('' for a run event), then field/value pairs
local event_cap
local function emit(kind, node, ...)
  if not event_cap then event_cap = redis.call('HGET', K.meta, 'eventCap') or '${DEFAULT_EVENT_CAP}' end
  return redis.call('XADD', K.events, 'MAXLEN', '~', event_cap, '*', 'type', kind, 'node', node or '', ...)
end

local function csv(s)
  local list = {}
  if s then
    for id in string.gmatch(s, '[^,]+') do list[#list + 1] = id end
  end
  return list
end

local function release(node)
  if redis.call('HGET', K.meta, 'mode') == 'levels' then
    local lvl = tonumber(redis.call('HGET', K.level, node))
    if lvl > tonumber(redis.call('HGET', K.meta, 'openLevel')) then return end
  end
  redis.call('ZADD', K.ready, redis.call('HGET', K.priority, node), node)
end

local function open_levels()
  if redis.call('HGET', K.meta, 'mode') ~= 'levels' then return end
  local open = tonumber(redis.call('HGET', K.meta, 'openLevel'))
  local last = tonumber(redis.call('HGET', K.meta, 'levelCount'))
  while open < last and tonumber(redis.call('HGET', K.levelLeft, open) or '0') <= 0 do
    open = open + 1
    redis.call('HSET', K.meta, 'openLevel', open)
    for _, id in ipairs(csv(redis.call('HGET', K.levelNodes, open))) do
      if redis.call('HGET', K.status, id) == 'pending' and tonumber(redis.call('HGET', K.pending, id)) == 0 then
        redis.call('ZADD', K.ready, redis.call('HGET', K.priority, id), id)
      end
    end
  end
end

local function take(now)
  local prefetch = tonumber(redis.call('HGET', K.meta, 'prefetch') or '1')
  local free = tonumber(redis.call('HGET', K.meta, 'concurrency')) + prefetch - tonumber(redis.call('HGET', K.meta, 'inflight'))
  local taken = {}
  if free <= 0 then return taken end
  local items = redis.call('ZREVRANGE', K.ready, 0, free - 1)
  for _, id in ipairs(items) do
    redis.call('ZREM', K.ready, id)
    redis.call('HSET', K.status, id, 'queued')
    if now then redis.call('HSET', K.offered, id, now) end
    emit('queued', id)
    taken[#taken + 1] = id
  end
  if #taken > 0 then redis.call('HINCRBY', K.meta, 'inflight', #taken) end
  return taken
end

-- take(now) for \`node\`'s transition, recording what it took (K.took) so that a repeat offers them again
local function take_for(node, now)
  local taken = take(now)
  if #taken > 0 then redis.call('HSET', K.took, node, table.concat(taken, ',')) end
  return taken
end

-- the nodes that \`node\`'s transition took for dispatch and that are still queued (a repeat offers them again:
-- the first one may have died before publishing them)
local function still_queued(node)
  local ids = {}
  for _, id in ipairs(csv(redis.call('HGET', K.took, node))) do
    if redis.call('HGET', K.status, id) == 'queued' then ids[#ids + 1] = id end
  end
  return ids
end

-- the node \`node\`'s completion took that a delivery of message \`msg\` went on to run itself (a chained node's lease
-- is that delivery's "<messageId>:<retried>"; a node published as its own message is claimed under another id)
local function chained_after(node, msg)
  local prefix = msg .. ':'
  for _, id in ipairs(csv(redis.call('HGET', K.took, node))) do
    local l = redis.call('HGET', K.lease, id)
    if l and string.sub(l, 1, #prefix) == prefix then return id end
  end
  return nil
end

-- the message id of a lease "<messageId>:<retried>"
local function lease_message(lease)
  return string.match(lease, '^(.*):[^:]*$') or lease
end

-- the delivery attempt of a lease "<messageId>:<retried>" (0 when it has none)
local function lease_attempt(lease)
  return tonumber(string.match(lease or '', ':(%d+)$') or '0')
end

-- follows the chain a delivery of message \`msg\` ran from the finished \`node\`: returns what \`node\` and each
-- finished link took that is still queued, then the first link not finished and its status (nil when there is none)
local function follow_chain(node, msg)
  local queued = {}
  local cur = node
  -- a link already followed ends the chain: a node's took list may name a node of the chain again (one taken anew
  -- after a retry, or itself), and a script that loops blocks the whole database
  local seen = {}
  while cur do
    seen[cur] = true
    for _, id in ipairs(still_queued(cur)) do queued[#queued + 1] = id end
    local nxt = msg and msg ~= '' and chained_after(cur, msg)
    if not nxt or seen[nxt] then return queued, nil, nil end
    local ns = redis.call('HGET', K.status, nxt)
    if not is_terminal(ns) then return queued, nxt, ns end
    cur = nxt
  end
  return queued, nil, nil
end

-- \`node\` becomes \`running\` under \`lease\`, started \`now\`; returns its attempt number (attempts + 1)
local function hold(node, lease, now)
  redis.call('HSET', K.status, node, 'running')
  redis.call('HSET', K.lease, node, lease)
  redis.call('HSET', K.started, node, now)
  local attempt = redis.call('HINCRBY', K.attempts, node, 1)
  emit('started', node, 'attempt', attempt, 'lease', lease)
  return attempt
end

local function level_done(node)
  redis.call('HINCRBY', K.levelLeft, redis.call('HGET', K.level, node), -1)
end

-- keys created after start_run (lease, output, usage, …) inherit the run's remaining TTL, so a run that never
-- finishes still expires whole
local function keep_ttl()
  local ttl = redis.call('PTTL', K.meta)
  if ttl and ttl > 0 then
    for i = 1, #KEYS do
      if redis.call('PTTL', KEYS[i]) == -1 then redis.call('PEXPIRE', KEYS[i], ttl) end
    end
  end
end

${LUA_COMPENSATE_BEGIN}
-- ends the run as \`final\` at \`now\`; every run key then expires after the run's retention
local function finish_as(final, now)
  -- a run with done compensable nodes compensates first (compensate.ts), still \`running\`
  if final ~= 'completed' and begin_compensation(final, now) then return 'running' end
  redis.call('HSET', K.meta, 'status', final, 'finishedAt', now)
  emit('run-finished', '', 'status', final)
  local retention = tonumber(redis.call('HGET', K.meta, 'retentionSeconds'))
  for i = 1, #KEYS do
    redis.call('EXPIRE', KEYS[i], retention)
  end
  return final
end

${LUA_COMPENSATE_END}
local function finish_if_done(now)
  local total = tonumber(redis.call('HGET', K.meta, 'nodeCount'))
  local terminal = tonumber(redis.call('HGET', K.meta, 'terminalCount') or '0')
  if terminal < total then
    return redis.call('HGET', K.meta, 'status')
  end
  local compensated = finish_compensation(now)
  if compensated then return compensated end
  local final = 'completed'
  local failed = tonumber(redis.call('HGET', K.meta, 'failedCount') or '0')
  if failed - tonumber(redis.call('HGET', K.meta, 'toleratedCount') or '0') > 0 then
    final = 'failed'
  elseif tonumber(redis.call('HGET', K.meta, 'cancelledCount') or '0') > 0 then
    -- a rerun of a cancelled run leaves the nodes outside the rerun cancelled
    final = 'cancelled'
  end
  return finish_as(final, now)
end

-- every node not terminal becomes \`cancelled\` (a running one keeps its lease: its call's output is still
-- recorded by complete_node); nothing stays ready or in flight; returns how many nodes it cancelled
local function cancel_rest(now)
  local flat = redis.call('HGETALL', K.status)
  local n = 0
  for i = 1, #flat, 2 do
    local id, s = flat[i], flat[i + 1]
    if not is_terminal(s) then
      redis.call('HSET', K.status, id, 'cancelled')
      if s ~= 'running' then redis.call('HDEL', K.lease, id) end
      redis.call('HSET', K.finished, id, now)
      level_done(id)
      emit('cancelled', id)
      n = n + 1
    end
  end
  redis.call('DEL', K.ready)
  redis.call('HSET', K.meta, 'inflight', 0)
  redis.call('HINCRBY', K.meta, 'cancelledCount', n)
  redis.call('HINCRBY', K.meta, 'terminalCount', n)
  return n
end

-- appends how node \`id\` ended try \`t\` to its history (retry and rerun keep earlier tries visible)
local function archive(id, t)
  local line = t .. '|' .. (redis.call('HGET', K.status, id) or '') .. '|' .. (redis.call('HGET', K.attempts, id) or '0')
    .. '|' .. string.gsub(redis.call('HGET', K.error, id) or '', '\\n', ' ')
  local old = redis.call('HGET', K.history, id)
  redis.call('HSET', K.history, id, old and (old .. '\\n' .. line) or line)
end

-- after retry or rerun put nodes back to \`pending\`: recounts the status counters, the pending dependency counts,
-- the levels left and the open level from the statuses, and fills the ready set (nothing is in flight)
local function rebuild()
  local flat = redis.call('HGETALL', K.status)
  local status = {}
  local counts = { done = 0, failed = 0, skipped = 0, cancelled = 0 }
  local tolerated = 0
  redis.call('DEL', K.levelLeft, K.ready)
  for i = 1, #flat, 2 do
    local id, s = flat[i], flat[i + 1]
    status[id] = s
    if counts[s] then counts[s] = counts[s] + 1 end
    if s == 'failed' and redis.call('HGET', K.meta, 'tolerated:' .. id) then tolerated = tolerated + 1 end
    if s ~= 'done' then redis.call('HSET', K.pending, id, 0) end
    if not is_terminal(s) then redis.call('HINCRBY', K.levelLeft, redis.call('HGET', K.level, id), 1) end
  end
  for id, s in pairs(status) do
    if s ~= 'done' and not (s == 'failed' and redis.call('HGET', K.meta, 'tolerated:' .. id)) then
      for _, d in ipairs(csv(redis.call('HGET', K.dependents, id))) do
        if status[d] ~= 'done' then redis.call('HINCRBY', K.pending, d, 1) end
      end
    end
  end
  redis.call('HSET', K.meta, 'doneCount', counts.done, 'failedCount', counts.failed, 'skippedCount', counts.skipped,
    'cancelledCount', counts.cancelled, 'toleratedCount', tolerated,
    'terminalCount', counts.done + counts.failed + counts.skipped + counts.cancelled, 'inflight', 0, 'openLevel', 1)
  open_levels()
  for id, s in pairs(status) do
    if s == 'pending' and tonumber(redis.call('HGET', K.pending, id)) == 0 then release(id) end
  end
end
`;
