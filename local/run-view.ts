/**
 * The worker's run API as the demo sees it: the progress view of `GET /v1/runs/:id` (types owned by the engine in
 * shared/progress/run-view.ts, re-exported here) and the client-side shapes of the other answers (run output,
 * trigger acceptance, cache stats).
 */
import type { CacheStats } from "../shared/cache/stats";

/** The engine's run view types (shapes documented in shared/progress/run-view.ts). */
export type { LevelView, NodeView, RunView } from "../shared/progress/run-view";
/** Node statuses (documented in shared/state/run-types.ts). */
export { NODE_STATUSES, type NodeStatus } from "../shared/state/run-types";

/** The body of `GET /v1/runs/:id/output`: the full text of each sink node (a node nothing depends on). */
export interface RunOutput {
  runId: string;
  status: string;
  /** Sink node id -> its output text (null when the output could not be read back). */
  outputs: Record<string, string | null>;
}

/** The body of a `202` (or idempotent `200`) answer to `POST /v1/runs`. */
export interface RunAccepted {
  runId: string;
  status: string;
  links: { self: string; output: string };
}

/**
 * Whether a run status is final (no further change will happen): `completed`, `failed`, or `cancelled` (reserved
 * for the cancel endpoint). Takes any string so an unknown future status keeps the demo polling, not crashing.
 */
export function isFinal(status: string): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}

/**
 * The body of `GET /v1/cache/stats` (functions/cache.ts): the tenant's result-cache totals (hits, shared calls,
 * misses, lookups, hit rate 0..1 or null before any lookup, tokens and USD saved, the USD also as integer micro-USD)
 * and the same counters per workflow. Counters live for 90 days after their last write (shared/cache/stats.ts).
 */
export type CacheStatsBody = CacheStats & { tenant: string };
