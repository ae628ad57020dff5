import { LUA_PRELUDE } from "./prelude.js";

/**
 * cancel_run: `POST /v1/runs/:id/cancel`. From now on no node starts: every node not terminal becomes `cancelled`
 * (a `running` one keeps its lease, so that complete_node still records the output of a call already paid for),
 * the ready set is emptied and the run ends `cancelled` (its keys expire after the retention). claim_node then
 * refuses every delivery of the run (reason `cancelled`).
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] now   ms since epoch
 *
 * Returns `{1, 'cancelled', n}` when it cancelled the run (n nodes cancelled), `{0, status}` when the run was not
 * running (`cancelled`: an idempotent repeat; `completed` or `failed`: finished, nothing changed), `{0, 'missing'}`
 * for an unknown or expired run.
 */

/** cancel_run as Lua source, the run prelude included (run-store.ts `cancelRun`). */
export const CANCEL_RUN_LUA = `${LUA_PRELUDE}
local now = ARGV[1]
local run_status = redis.call('HGET', K.meta, 'status')
if not run_status then return {0, 'missing'} end
if run_status ~= 'running' then return {0, run_status} end
local n = cancel_rest(now)
finish_as('cancelled', now)
return {1, 'cancelled', n}
`;
