/**
 * Slots per message a run keeps published beyond its concurrency: {@link prefetchMessages} is one message per this
 * many slots, rounded up.
 */
export const SLOTS_PER_PREFETCHED_MESSAGE = 8;

/**
 * How many messages a run keeps published beyond its concurrency: ⌈concurrency / 8⌉ (1 for up to 8 slots, 2 for
 * 16); none for a run whose deliveries chain nodes (`nodesPerDelivery` > 1).
 *
 * Why: QStash flow control (key per run, `parallelism` = concurrency) holds the extra messages back and delivers one
 * the moment a delivery ends, so a freed slot is refilled without waiting for the refill (the success callback's
 * trip and its publish). Slots free up `concurrency` times as often as one does, so the messages needed grow with
 * it. With chains, deliveries end rarely and a message published ahead would wait while chains run nodes of lower
 * priority; a chain's end publishes before it answers instead. The cost: a node that becomes ready later with a
 * longer remaining path may start after a message published ahead. Measurements: docs/performance.md.
 * @param concurrency the run's effective parallelism (`runConcurrency`), ≥ 1.
 * @param nodesPerDelivery the run's chain limit; 1 (the default here) for no chains.
 * @returns a non-negative integer: 0 for a chaining run, else at least 1.
 */
export function prefetchMessages(concurrency: number, nodesPerDelivery = 1): number {
  if (nodesPerDelivery > 1) return 0;
  return Math.max(1, Math.ceil(concurrency / SLOTS_PER_PREFETCHED_MESSAGE));
}
