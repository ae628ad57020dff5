import { LUA_PRELUDE } from "./prelude.js";

/**
 * resolve_parked: decides, once, how a parked node (`waiting`: park-node.ts) ends, from outside any delivery (a
 * signal, a timeout). It records the decision in run meta `resolved:<id>` =
 * `"<generation>|<outcome>|<source>|<at ms>|<fingerprint>|<ref>|<key>"` and hands the node back to the ordinary
 * transitions: the node becomes `running` under `lease` (a slot taken back), and the caller then runs complete_node
 * (`done`) or fail_node (`failed`, with that lease) in its next request. If that second step never happens, a repeat
 * of the same request redoes it (`{2, …, '1'}`), and a delivery that takes the node over finds the decision in
 * park_node and applies it.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] now          ms since epoch
 * ARGV[3] generation   the generation the caller expects the node parked under ('' for the current one): a
 *                      decision for an earlier try changes nothing (`stale-generation`)
 * ARGV[4] outcome      `done` | `failed`
 * ARGV[5] source       what decided it, e.g. `signal` or `timeout`
 * ARGV[6] fingerprint  identifies the request's content: the same source and fingerprint repeated is a replay
 * ARGV[7] key          the request's Idempotency-Key, or '': the same key is a replay (with another content:
 *                      `idempotency-conflict`)
 * ARGV[8] lease        the lease the node is held under until its transition (`<name>:<n>`)
 * ARGV[9] due          '1': apply only once the parked deadline has passed (a timeout; `early` otherwise)
 * ARGV[10] toleranceMs how much earlier than its deadline a `due` decision may come (clock differences)
 * ARGV[11] ref         `done`: the blob ref of the node's output (written before, in the same request; without
 *                      one, a `done` decision is refused as `not-waiting`), else ''
 *
 * Returns `{1, outcome, source, at, ref, generation}` when decided now (node `running` under `lease`; `generation`:
 * the run's current one); `{2, outcome, source, at, ref, generation, nodeStatus, pending}` for a replay (nothing changed; `pending` '1' while the node is still `running` under
 * `lease`: the transition is still to run); `{0, reason, nodeStatus, deadline}` otherwise: `missing`,
 * `unknown-node`, `stale-generation`, `idempotency-conflict`, `early` (with the deadline), `not-waiting` (the node
 * is not `waiting`, or was decided otherwise, or the run is not running).
 */

/** resolve_parked as Lua source, the run prelude included (park-store.ts `resolve`). */
export const RESOLVE_PARKED_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
local now = ARGV[2]
local outcome, source, fingerprint, key, lease, ref = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[11] or ''
local run_status = redis.call('HGET', K.meta, 'status')
if not run_status then return {0, 'missing', ''} end
if stale_generation(ARGV[3]) then return {0, 'stale-generation', ''} end
local s = redis.call('HGET', K.status, node)
if not s then return {0, 'unknown-node', ''} end
local gen = current_generation()
local rec = redis.call('HGET', K.meta, 'resolved:' .. node)
if rec then
  local rg, ro, rs, rat, rfp, rref, rkey = string.match(rec, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
  if rg == gen then
    local same = rfp == fingerprint and rs == source
    if key ~= '' and rkey == key and not same then return {0, 'idempotency-conflict', s} end
    if same or (key ~= '' and rkey == key) then
      local pending = (s == 'running' and redis.call('HGET', K.lease, node) == lease) and '1' or '0'
      return {2, ro, rs, rat, rref, gen, s, pending}
    end
    return {0, 'not-waiting', s}
  end
end
if run_status ~= 'running' or s ~= 'waiting' then return {0, 'not-waiting', s} end
-- a \`done\` decision needs its output (the caller writes it only for a node it saw waiting)
if outcome == 'done' and ref == '' then return {0, 'not-waiting', s} end
local parked = redis.call('HGET', K.meta, 'parked:' .. node) or ''
local deadline = string.match(parked, '|(%d+)$')
if ARGV[9] == '1' and deadline and tonumber(now) + tonumber(ARGV[10] or '0') < tonumber(deadline) then
  return {0, 'early', s, deadline}
end
redis.call('HSET', K.status, node, 'running')
redis.call('HSET', K.lease, node, lease)
redis.call('HINCRBY', K.meta, 'inflight', 1)
redis.call('HSET', K.meta, 'resolved:' .. node, gen .. '|' .. outcome .. '|' .. source .. '|' .. now .. '|' .. fingerprint .. '|' .. ref .. '|' .. key)
emit('signal', node, 'outcome', outcome, 'source', source)
keep_ttl()
return {1, outcome, source, now, ref, gen}
`;
