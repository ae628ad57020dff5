/**
 * Counters of the local stack (both servers), read through `LocalStack.stats()` and `GET /__stats`.
 * Part of the local stack's API (local/stack.ts).
 */
export interface StackStats {
  /** HTTP requests received by the Upstash Redis REST server (any route, including rejected ones). */
  redisRequests: number;
  /** Redis commands executed: a single command counts 1, every pipeline or multi-exec item counts 1. */
  redisCommands: number;
  /** Bytes of request bodies received by the Redis REST server. */
  redisRequestBytes: number;
  /** HTTP requests received by the QStash v2 API server (admin routes `/__*` excluded). */
  qstashApiRequests: number;
  /** Messages accepted and enqueued by publish/batch (deduplicated and chaos-rejected ones excluded; callbacks excluded). */
  qstashMessagesPublished: number;
  /**
   * Every HTTP request the emulator sent: to destinations, callback and failure-callback URLs (retries and chaos
   * duplicates included). `qstashCallbacks` and `qstashFailureCallbacks` are the callback parts of this count.
   */
  qstashDeliveries: number;
  /** HTTP requests sent to success-callback URLs (retries and chaos duplicates included); part of qstashDeliveries. */
  qstashCallbacks: number;
  /** HTTP requests sent to failure-callback URLs (retries and chaos duplicates included); part of qstashDeliveries. */
  qstashFailureCallbacks: number;
  /** Messages (including callbacks) moved to the dead-letter queue after their retries were exhausted. */
  qstashDeadLetters: number;
  /** Bytes of request bodies received by the QStash API server. */
  qstashRequestBytes: number;
  /** Bytes of request bodies sent to destinations and callback URLs. */
  qstashDeliveryBytes: number;
}

/** Keys of {@link StackStats}; every one is a counter starting at 0. */
export type StatName = keyof StackStats;

/** A fresh {@link StackStats} with every counter at 0. */
export function emptyStats(): StackStats {
  return {
    redisRequests: 0,
    redisCommands: 0,
    redisRequestBytes: 0,
    qstashApiRequests: 0,
    qstashMessagesPublished: 0,
    qstashDeliveries: 0,
    qstashCallbacks: 0,
    qstashFailureCallbacks: 0,
    qstashDeadLetters: 0,
    qstashRequestBytes: 0,
    qstashDeliveryBytes: 0,
  };
}

/** Mutable counters shared by the two servers; `snapshot()` returns a copy, `reset()` zeroes all. */
export class StatsCounter {
  #values: StackStats = emptyStats();

  /** Adds `by` (default 1) to counter `name`. */
  add(name: StatName, by = 1): void {
    this.#values[name] += by;
  }

  /** A copy of the current counters. */
  snapshot(): StackStats {
    return { ...this.#values };
  }

  /** Sets every counter back to 0. */
  reset(): void {
    this.#values = emptyStats();
  }
}
