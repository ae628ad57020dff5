import { LUA_PRELUDE } from "./prelude.js";

/**
 * read_events: one page of a run's event log and what a reader needs to judge it, in one round trip (one
 * subrequest on Workers). Read-only.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] start   the first stream id to return, inclusive (`-` for the beginning; a reader resuming after id
 *                 `<ms>-<seq>` passes `<ms>-<seq+1>`: shared/state/run-events.ts `nextStreamId`)
 * ARGV[2] count   most entries to return
 *
 * Returns `{status, tenant, entries}` with `entries` XRANGE's reply (`{{id, {field, value, …}}, …}`), or `{''}`
 * when the run does not exist (never created, or expired).
 */

/** read_events as Lua source, the run prelude included (run-store.ts `readEvents`). */
export const READ_EVENTS_LUA = `${LUA_PRELUDE}
local status = redis.call('HGET', K.meta, 'status')
if not status then return {''} end
return {status, redis.call('HGET', K.meta, 'tenant') or '', redis.call('XRANGE', K.events, ARGV[1], '+', 'COUNT', ARGV[2])}
`;
