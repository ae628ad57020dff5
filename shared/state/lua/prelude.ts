import { RUN_KEY_NAMES } from "../keys.js";

/**
 * Lua prelude shared by every run transition script.
 *
 * Binds `K.<name>` to `KEYS[i]` in {@link RUN_KEY_NAMES} order (so TypeScript and Lua cannot drift) and defines the
 * scheduling helpers every transition shares:
 * - `csv(s)`: splits a comma-separated list (node ids never contain commas);
 * - `release(node)`: a node whose dependencies are all done joins the `ready` set (score = its priority), except in
 *   `levels` mode, where it waits until its whole level opens;
 * - `open_levels()`: `levels` mode only: while every node of the open level is terminal, opens the next level and
 *   puts its nodes in the ready set (the classic wave executor, kept for comparison);
 * - `take()`: moves the highest-priority ready nodes into `queued`, as many as the run's free slots
 *   (meta `concurrency` + meta `prefetch` − `inflight`; `prefetch` is shared/state/prefetch.ts's figure, 1 for a
 *   run started before it was stored; QStash flow control keeps the running ones at `concurrency`), and returns
 *   them for dispatch: longest remaining path first;
 * - `still_queued(node)`: the nodes the transition of `node` took for dispatch that are still `queued`, which a
 *   repeat (a duplicate callback, a retried delivery of a node already done or failed) offers again: the first
 *   may have died before publishing them;
 * - `chained_after(node, msg)`: the node that `node`'s completion took and that a delivery of QStash message `msg`
 *   went on to run itself (its lease names that message: shared/engine/delivery.ts), or nil; a node handed back
 *   to a message of its own, or deferred, has no lease and is no longer found;
 * - `lease_message(lease)`, `lease_attempt(lease)`: a lease's message id and its `Upstash-Retried`;
 * - `follow_chain(node, msg)`: from a finished node along the chain of message `msg`: what the node and each
 *   finished link took that is still `queued`, and the first link not finished with its status (claim_node resumes
 *   it, fail_node releases it, offer_again only reads);
 * - `hold(node, lease, now)`: the node becomes `running` under the lease (attempts + 1, returned);
 * - `keep_ttl()`: gives keys created after the start the run's remaining TTL (a run that never finishes still
 *   expires whole);
 * - `finish_if_done(now)`: once every node is terminal (done, failed or skipped) marks the run `completed` (or
 *   `failed` if any node failed), stamps `finishedAt` and sets every run key to expire after the run's retention.
 * Scripts stay free of `cjson` so they also run on the embedded in-memory store.
 */

/** The run prelude (the helpers above) as Lua source, prepended to every run transition script. */
export const LUA_PRELUDE = `
local K = {}
${RUN_KEY_NAMES.map((name, i) => `K["${name}"] = KEYS[${i + 1}]`).join("\n")}

local function is_terminal(s)
  return s == 'done' or s == 'failed' or s == 'skipped'
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

local function take()
  local prefetch = tonumber(redis.call('HGET', K.meta, 'prefetch') or '1')
  local free = tonumber(redis.call('HGET', K.meta, 'concurrency')) + prefetch - tonumber(redis.call('HGET', K.meta, 'inflight'))
  local taken = {}
  if free <= 0 then return taken end
  local items = redis.call('ZREVRANGE', K.ready, 0, free - 1)
  for _, id in ipairs(items) do
    redis.call('ZREM', K.ready, id)
    redis.call('HSET', K.status, id, 'queued')
    taken[#taken + 1] = id
  end
  if #taken > 0 then redis.call('HINCRBY', K.meta, 'inflight', #taken) end
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
  while cur do
    for _, id in ipairs(still_queued(cur)) do queued[#queued + 1] = id end
    local nxt = msg and msg ~= '' and chained_after(cur, msg)
    if not nxt then return queued, nil, nil end
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
  return redis.call('HINCRBY', K.attempts, node, 1)
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

local function finish_if_done(now)
  local total = tonumber(redis.call('HGET', K.meta, 'nodeCount'))
  local terminal = tonumber(redis.call('HGET', K.meta, 'terminalCount') or '0')
  if terminal < total then
    return redis.call('HGET', K.meta, 'status')
  end
  local final = 'completed'
  if tonumber(redis.call('HGET', K.meta, 'failedCount') or '0') > 0 then
    final = 'failed'
  end
  redis.call('HSET', K.meta, 'status', final, 'finishedAt', now)
  local retention = tonumber(redis.call('HGET', K.meta, 'retentionSeconds'))
  for i = 1, #KEYS do
    redis.call('EXPIRE', KEYS[i], retention)
  end
  return final
end
`;
