import { LUA_PRELUDE } from "./prelude.js";

/**
 * park_node: a delivery that holds a node which waits for something outside the run (a wait node's signal or
 * timeout: shared/engine/wait-node.ts) parks it instead of completing it. The node becomes `waiting`: not terminal
 * (the run stays `running`), holding no lease and no slot, so the run's other branches go on; the script takes the
 * next ready nodes into the slot it freed. It is later completed or failed from outside any delivery
 * (resolve-parked.ts).
 *
 * Stored in run meta: `parked:<id>` = `"<generation>|<deadline ms>"` (the dispatch generation it was parked under,
 * so a retry or rerun's new try is not confused with it; deadline '' for none) and `parkNote:<id>` = a short text
 * for whoever resolves it (a wait node's rendered question).
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] lease       the delivery's lease: the node must be `running` under it
 * ARGV[3] now         ms since epoch
 * ARGV[4] deadline    ms since epoch when it stops waiting on its own ('' for none)
 * ARGV[5] note        the text shown while it waits (emitted with the `waiting` event)
 * ARGV[6] generation  the delivery's message generation ('' unchecked): a message of an earlier try changes nothing
 *
 * Returns `{1, generation, taken…}` when parked (`taken`: the nodes to publish now); `{3, outcome, source, at, ref}`
 * when the node already has a resolution recorded for the current try (resolve-parked.ts: its transition was
 * interrupted and a delivery took the node over): nothing changed, and the caller applies that outcome under its
 * own lease; else `{0, reason}`: `run-<status>`, `stale-generation`, or the node's status when this lease does not
 * hold it (`superseded` when another lease does).
 */

/** park_node as Lua source, the run prelude included (park-store.ts `park`). */
export const PARK_NODE_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
local lease = ARGV[2]
local now = ARGV[3]
local run_status = redis.call('HGET', K.meta, 'status')
if run_status ~= 'running' then return {0, 'run-' .. (run_status or 'missing')} end
if stale_generation(ARGV[6]) then return {0, 'stale-generation'} end
local s = redis.call('HGET', K.status, node)
if s ~= 'running' then return {0, s or 'unknown-node'} end
if redis.call('HGET', K.lease, node) ~= lease then return {0, 'superseded'} end
local gen = current_generation()
local rec = redis.call('HGET', K.meta, 'resolved:' .. node)
if rec then
  local rg, outcome, source, at, ref = string.match(rec, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|[^|]*|([^|]*)|')
  if rg == gen then return {3, outcome, source, at, ref} end
end
redis.call('HSET', K.status, node, 'waiting')
redis.call('HDEL', K.lease, node)
redis.call('HINCRBY', K.meta, 'inflight', -1)
redis.call('HSET', K.meta, 'parked:' .. node, gen .. '|' .. ARGV[4], 'parkNote:' .. node, ARGV[5])
emit('waiting', node, 'deadline', ARGV[4], 'question', ARGV[5])
local taken = take_for(node, now)
keep_ttl()
local result = {1, gen}
for _, id in ipairs(taken) do result[#result + 1] = id end
return result
`;
