import type { RunKeyName } from "../keys.js";
import { DEFAULT_EVENT_CAP, MAX_EVENT_CAP } from "../run-events.js";
import { LUA_PRELUDE } from "./prelude.js";

/**
 * expand_map: a map node (`kind: "map"`, shared/engine/map-node.ts) that a delivery holds expands into its children.
 * Child `i` is the node `<map>[i]`: `pending` with no dependency, the map as its only dependent, the map's level and
 * priority; every child joins the ready set and its level's member list (`levelNodes`, which open_levels reads when a
 * retry reopens the level in `levels` mode). The map goes back to `pending` with a dependency count of n (so
 * complete_node of its last child releases it like any node, and its next delivery joins the outputs), frees its
 * slot and loses its lease; meta `nodeCount` grows by n, the event log's cap by 32 per child (run-events.ts), and
 * meta `map:<map>` records the expansion, `"<n>|<itemsRef>|<startedAt>"` (the items blob, and when the map's first
 * attempt started, ms). Then the ready nodes are taken as by any transition (recorded in `took`, offered again on a
 * repeat). Emits `expanded` {items}.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] mapId
 * ARGV[2] attempt     the attempt of the delivery that holds the map ('' only reads: see the returns)
 * ARGV[3] now         ms since epoch
 * ARGV[4] generation  the delivery's dispatch generation ('' for none): an earlier try's delivery changes nothing
 * ARGV[5] n           children, at least 1
 * ARGV[6] itemsRef    blob ref of the items array (JSON)
 * ARGV[7] nodeLimit   most nodes the run may hold, its children included (config `MAX_WORKFLOW_NODES`)
 *
 * Returns `{1, runStatus, taken…}` when it expanded the map; `{2, 'expanded', queued…}` when the map is expanded
 * already (a duplicate, a retried delivery: nothing changes; `queued` are the children the expansion took that are
 * still `queued`, to publish again); `{0, reason, detail}` otherwise: `run-<status>`, `stale-generation`, `not-held`
 * (the map is not `running` under that attempt), `node-limit` (detail: the run's node count before the children).
 */

/** expand_map as Lua source, the run prelude included (run-store.ts `expandMap`). */
export const EXPAND_MAP_LUA = `${LUA_PRELUDE}
local map = ARGV[1]
local now = ARGV[3]
local run_status = redis.call('HGET', K.meta, 'status')
if run_status ~= 'running' then return {0, 'run-' .. (run_status or 'missing'), ''} end
if stale_generation(ARGV[4]) then return {0, 'stale-generation', ''} end
if redis.call('HGET', K.meta, 'map:' .. map) then
  local again = {2, 'expanded'}
  for _, id in ipairs(still_queued(map)) do again[#again + 1] = id end
  return again
end
if ARGV[2] == '' or redis.call('HGET', K.status, map) ~= 'running' or redis.call('HGET', K.attempts, map) ~= ARGV[2] then
  return {0, 'not-held', ''}
end
local n = tonumber(ARGV[5])
local total = tonumber(redis.call('HGET', K.meta, 'nodeCount'))
if n < 1 then return {0, 'empty', ''} end
if total + n > tonumber(ARGV[7]) then return {0, 'node-limit', total} end

local lvl = redis.call('HGET', K.level, map)
local prio = redis.call('HGET', K.priority, map)
local ids = {}
for i = 0, n - 1 do
  local id = map .. '[' .. i .. ']'
  ids[#ids + 1] = id
  redis.call('HSET', K.status, id, 'pending')
  redis.call('HSET', K.pending, id, 0)
  redis.call('HSET', K.dependents, id, map)
  redis.call('HSET', K.level, id, lvl)
  redis.call('HSET', K.priority, id, prio)
  release(id)
end
-- the children belong to their map's level: open_levels releases them when a retry reopens it (levels mode)
local members = redis.call('HGET', K.levelNodes, lvl)
redis.call('HSET', K.levelNodes, lvl, (members and members ~= '' and (members .. ',') or '') .. table.concat(ids, ','))
redis.call('HINCRBY', K.levelLeft, lvl, n)
redis.call('HSET', K.status, map, 'pending')
redis.call('HSET', K.pending, map, n)
redis.call('HDEL', K.lease, map)
redis.call('HINCRBY', K.meta, 'inflight', -1)
redis.call('HINCRBY', K.meta, 'nodeCount', n)
redis.call('HSET', K.meta, 'map:' .. map, n .. '|' .. ARGV[6] .. '|' .. (redis.call('HGET', K.started, map) or now))
local cap = tonumber(redis.call('HGET', K.meta, 'eventCap') or '${DEFAULT_EVENT_CAP}')
redis.call('HSET', K.meta, 'eventCap', math.min(${MAX_EVENT_CAP}, cap + 32 * n))
emit('expanded', map, 'items', n)
local taken = take_for(map, now)
keep_ttl()
local result = {1, run_status}
for _, id in ipairs(taken) do result[#result + 1] = id end
return result
`;

/** The per-node hashes of a run (keys.ts) that forgetting a child clears (its paid calls stay in `paid`). */
const PER_NODE_HASHES: readonly RunKeyName[] = [
  "pending",
  "dependents",
  "status",
  "attempts",
  "lease",
  "started",
  "finished",
  "output",
  "usage",
  "model",
  "excerpt",
  "error",
  "priority",
  "level",
  "took",
  "cost",
  "route",
  "cache",
  "offered",
  "history",
];

/**
 * Lua helpers for rerun_from (rerun-from.ts), appended after the prelude:
 * - `forgotten_child(id, set, from)`: whether `id` is a child `<map>[i]` of a map in the rerun set `set` whose
 *   expansion {@link forget_map} will drop (the rerun does not start at one of that map's children);
 * - `forget_map(map, from)`: when `map` was expanded and `from` is not one of its children, removes its children from
 *   every per-node hash and the ready set, lowers meta `nodeCount` and drops meta `map:<map>`, so the map expands
 *   again (its items may differ); their paid calls stay in the run's books. Returns how many children it removed.
 */
export const LUA_FORGET_MAP = `
local function forgets_map(map, from)
  return redis.call('HGET', K.meta, 'map:' .. map) and string.sub(from, 1, #map + 1) ~= map .. '['
end

local function forgotten_child(id, set, from)
  local map = string.match(id, '^(.+)%[%d+%]$')
  return map ~= nil and set[map] and forgets_map(map, from)
end

local function forget_map(map, from)
  if not forgets_map(map, from) then return 0 end
  local n = tonumber(string.match(redis.call('HGET', K.meta, 'map:' .. map), '^(%d+)'))
  for i = 0, n - 1 do
    local id = map .. '[' .. i .. ']'
${PER_NODE_HASHES.map((k) => `    redis.call('HDEL', K.${k}, id)`).join("\n")}
    redis.call('ZREM', K.ready, id)
    redis.call('HDEL', K.meta, 'tolerated:' .. id)
  end
  redis.call('HINCRBY', K.meta, 'nodeCount', -n)
  redis.call('HDEL', K.meta, 'map:' .. map)
  -- and from their level's member list, where expand_map added them
  local lvl = redis.call('HGET', K.level, map)
  local kept = {}
  for _, id in ipairs(csv(redis.call('HGET', K.levelNodes, lvl))) do
    if string.match(id, '^(.+)%[%d+%]$') ~= map then kept[#kept + 1] = id end
  end
  redis.call('HSET', K.levelNodes, lvl, table.concat(kept, ','))
  return n
end
`;
