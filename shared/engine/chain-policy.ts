import type { WorkflowDefinition } from "../schema/workflow.js";

/**
 * How far one QStash delivery of `/internal/execute` may go on running nodes itself (a chain, delivery.ts): when a
 * node's completion takes the next ready nodes, the delivery runs the highest-priority one at once, in the slot it
 * already holds, instead of publishing it and handing the slot back. That skips, per chained node, the message's
 * trip through QStash, its flow-control hand-over and the claim, which are most of what a concurrency-limited run
 * spends between nodes (docs/performance.md).
 *
 * Two limits bound a chain, so that a delivery stays within what Cloudflare and QStash allow:
 * - at most `nodesPerDelivery` nodes ({@link DEFAULT_NODES_PER_DELIVERY} unless the workflow sets it);
 * - a next node starts only within {@link CHAIN_WINDOW_MS} of the delivery's start; the run's messages carry a
 *   QStash timeout long enough for a node started then to use all of its own timeout ({@link deliveryTimeoutMs}).
 */

/**
 * Nodes one delivery runs at most by default: 8. Past 8, the hand-overs a longer chain saves were lost in the noise
 * (docs/performance.md). Limits: Workers Paid allows 10,000 subrequests and 30 s of CPU per request
 * (developers.cloudflare.com/workers/platform/limits); a node with the result cache and a budget takes up to about
 * 12 subrequests and a few ms of CPU. Workers Free allows only 50 subrequests and 10 ms of CPU per request: there
 * set `nodesPerDelivery` to 2 or 3. A delivery that hits a limit fails like any other, and QStash's retry of its
 * message resumes the chain.
 */
export const DEFAULT_NODES_PER_DELIVERY = 8;

/**
 * A delivery starts a next node only within this many ms of its own start (60 s). With the run's messages timing out
 * after the longest node timeout plus this window (plus the execute margin), a node started within the window can use
 * its whole timeout before QStash would time the delivery out and retry it.
 */
export const CHAIN_WINDOW_MS = 60_000;

/**
 * The most nodes one delivery of the workflow's runs may run: its `nodesPerDelivery`, else
 * {@link DEFAULT_NODES_PER_DELIVERY}. 1 means no chains: every node gets its own message.
 */
export function nodesPerDelivery(workflow: Pick<WorkflowDefinition, "nodesPerDelivery">): number {
  return workflow.nodesPerDelivery ?? DEFAULT_NODES_PER_DELIVERY;
}

/**
 * The time a delivery of a chaining run may take before QStash times it out, ms, without the execute margin
 * (dispatcher.ts adds `EXECUTE_MARGIN_MS`): the longest node timeout of the run plus {@link CHAIN_WINDOW_MS}; null
 * when the run does not chain (each message then times out after its own node's timeout).
 * @param maxNodeTimeoutMs the longest `timeoutMs` of the run's nodes.
 */
export function deliveryTimeoutMs(
  workflow: Pick<WorkflowDefinition, "nodesPerDelivery">,
  maxNodeTimeoutMs: number,
): number | null {
  return nodesPerDelivery(workflow) > 1 ? maxNodeTimeoutMs + CHAIN_WINDOW_MS : null;
}

/**
 * Whether a delivery that has run `ran` nodes so far, and started `elapsedMs` ago, may start one more.
 * @param limit the run's {@link nodesPerDelivery}.
 */
export function mayChain(ran: number, elapsedMs: number, limit: number): boolean {
  return ran < limit && elapsedMs <= CHAIN_WINDOW_MS;
}
