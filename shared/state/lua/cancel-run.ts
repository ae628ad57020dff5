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
 * Returns `{1, 'cancelled', n}` when it cancelled the run (n nodes cancelled), `{1, 'cancelled', n, generation,
 * compensations…}` when done nodes have a `compensate` step: the run stays `running` while they run, and the
 * compensations taken are published under the run's dispatch generation, `{0, status}` when the run was not
 * running (`cancelled`: an idempotent repeat; `completed` or `failed`: finished, nothing changed), `{0, 'missing'}`
 * for an unknown or expired run, `{0, 'compensating'}` while the run compensates (nothing changed).
 */

/** cancel_run as Lua source, the run prelude included (run-store.ts `cancelRun`). */
export const CANCEL_RUN_LUA = `${LUA_PRELUDE}
local now = ARGV[1]
local run_status = redis.call('HGET', K.meta, 'status')
if not run_status then return {0, 'missing'} end
-- a run that is compensating (after a failure or a cancel) cannot be cancelled: its compensations run to the end
if redis.call('HGET', K.meta, 'compensation') == 'running' then return {0, 'compensating'} end
if run_status ~= 'running' then return {0, run_status} end
emit('cancel', '')
local n = cancel_rest(now)
finish_as('cancelled', now)
-- the compensations of the done nodes, when the run compensates (compensate.ts): for the caller to publish
local result = {1, 'cancelled', n}
if #compensation_taken > 0 then result[4] = current_generation() end
for _, id in ipairs(compensation_taken) do result[#result + 1] = id end
return result
`;
