/**
 * Slots per message a run keeps published beyond its concurrency: {@link prefetchMessages} is one message per this
 * many slots, rounded up.
 */
export const SLOTS_PER_PREFETCHED_MESSAGE = 8;

/**
 * How many messages a run keeps published beyond its concurrency: ⌈concurrency / 8⌉ (1 for up to 8 slots, 2 for 16);
 * none for a run whose deliveries chain (`nodesPerDelivery` > 1: shared/engine/chain-policy.ts).
 *
 * Why none with chains: a message published ahead carries the node that was the best ready one when it was taken,
 * and it waits in QStash until a delivery ends. With chains deliveries end rarely, so it waited while chains ran
 * nodes of lower priority: srasearch with 4 slots (11 long roots) measured 1.17 × the list schedule with one
 * message ahead (`npm run bench`, bench/results/2026-11-21-100916.*) and 1.00 with none (`npm run bench --
 * --workloads srasearch,viralrecon,airrflow,bwa --concurrency 4,16 --load-runs 0 --no-peer --no-message-size
 * --repeats 3 --budget-s 20`, 103901.*); a chain's end publishes before it answers instead (advance-site.ts).
 *
 * QStash flow control (key per run, `parallelism` = concurrency) holds the extra messages back and delivers one the
 * moment a delivery ends (a delivery may run a chain of nodes, shared/engine/delivery.ts, and hands its slot from
 * node to node itself), so a freed slot is refilled without waiting for the refill itself (the
 * success callback's trip through the queue and its publish, where the run advances in the callback). Slots free up
 * `concurrency` times as often as one slot does, so the messages that cover the refill's delay grow with the
 * concurrency. The cost: a node that becomes ready later with a longer remaining path may start after a message
 * published ahead.
 *
 * Measured with `npm run bench -- --workloads bwa --concurrency 4,16 --load-runs 0 --no-peer --no-message-size
 * --repeats 3 --budget-s 20` on one 2-core machine, 2026-11-21 (medians of 3, × the list schedule), with the
 * completion recorded by execute (bench/results/2026-11-21-081557.*, 082734.*, 082934.*): 1, 2 and 4 messages
 * ahead gave 1.21, 1.20 and 1.23 with 4 slots, and 1.41, 1.23 and 1.20 with 16. Before execute recorded the
 * completion, 16 messages ahead had not beaten 1 (README, "Status against issue #5"). These figures predate chains.
 * @param concurrency the run's effective parallelism (`runConcurrency`), ≥ 1.
 * @param nodesPerDelivery the run's chain limit (chain-policy.ts `nodesPerDelivery`); 1 (the default here) for no
 *   chains.
 * @returns a non-negative integer: 0 for a chaining run, else at least 1.
 */
export function prefetchMessages(concurrency: number, nodesPerDelivery = 1): number {
  if (nodesPerDelivery > 1) return 0;
  return Math.max(1, Math.ceil(concurrency / SLOTS_PER_PREFETCHED_MESSAGE));
}
