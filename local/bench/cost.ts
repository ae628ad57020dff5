/**
 * Cost per node of a measurement, from the local stack's counters over it (local/stats.ts): QStash messages
 * (published + callbacks, which QStash bills as messages), deliveries, Redis commands and HTTP requests, request
 * bytes, and the size of the publish path per message.
 */
import type { StackStats } from "../stats.js";
import type { PerNodeCost } from "./results.js";

/**
 * Per-node (and per-message) figures of a counter delta.
 * @param stats counters over the measurement (after − before; see local/run-figures.ts `statsDelta`).
 * @param nodes nodes executed in the measurement (> 0; with 0 every figure is null).
 * @returns counts per node, bytes per node, bytes per published message and per delivery (null when 0 of them).
 */
export function perNodeCost(stats: StackStats, nodes: number): PerNodeCost {
  const per = (x: number, n: number) => (n > 0 ? x / n : null);
  return {
    qstashMessages: per(stats.qstashMessagesPublished + stats.qstashCallbacks + stats.qstashFailureCallbacks, nodes),
    qstashPublished: per(stats.qstashMessagesPublished, nodes),
    qstashDeliveries: per(stats.qstashDeliveries, nodes),
    redisCommands: per(stats.redisCommands, nodes),
    redisRequests: per(stats.redisRequests, nodes),
    redisRequestBytes: per(stats.redisRequestBytes, nodes),
    publishBytesPerMessage: per(stats.qstashRequestBytes, stats.qstashMessagesPublished),
    deliveryBytesPerDelivery: per(stats.qstashDeliveryBytes, stats.qstashDeliveries),
  };
}
