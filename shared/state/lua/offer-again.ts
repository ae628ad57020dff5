import { LUA_PRELUDE } from "./prelude.js";

/**
 * offer_again: what a node's finished transition took for dispatch that is still `queued`, read without changing
 * anything. The callback of an answer it cannot read (QStash hands the answer over "maybe truncated",
 * docs/upstash-protocols.md B8) publishes these, since execute recorded the completion before answering.
 *
 * KEYS: the run's keys in RUN_KEY_NAMES order.
 * ARGV[1] nodeId
 * ARGV[2] messageId  optional: the QStash message whose delivery ran the node; when given, the nodes that delivery
 *                    went on to run itself (a chain: shared/engine/delivery.ts) are followed too, through each
 *                    finished one, adding what each took that is still `queued`
 *
 * Returns `{runStatus, nodeStatus, queued…}`: `queued…` only when the run is running and the node is `done` or
 * `failed` (nothing for a node still running, whose completion has not happened); runStatus `missing` for an unknown
 * run, nodeStatus `unknown` for an unknown node.
 */
export const OFFER_AGAIN_LUA = `${LUA_PRELUDE}
local node = ARGV[1]
local run_status = redis.call('HGET', K.meta, 'status')
local s = redis.call('HGET', K.status, node)
local result = {run_status or 'missing', s or 'unknown'}
if run_status == 'running' and (s == 'done' or s == 'failed') then
  for _, id in ipairs((follow_chain(node, ARGV[2]))) do result[#result + 1] = id end
end
return result
`;
