/**
 * The worker's run API as the demo sees it: the progress view of `GET /v1/runs/:id` (types owned by the engine in
 * shared/progress/run-view.ts), the other run answers (owned by the run client, shared/client/run-api.ts), both
 * re-exported here, and the shape of the cache stats.
 */
import type { CacheStats } from "../shared/cache/stats";

/** The body of `GET /v1/runs/:id/output` (shape documented in shared/client/run-api.ts). */
export type { RunOutput } from "../shared/client/run-api";
/**
 * Whether a run status is final: `completed`, `failed` or `cancelled` (shared/client/run-api.ts
 * `isTerminalStatus`); an unknown future status keeps the demo polling, not crashing.
 */
export { isTerminalStatus as isFinal } from "../shared/client/run-api";
/** The engine's run view types (shapes documented in shared/progress/run-view.ts). */
export type { LevelView, NodeView, RunView } from "../shared/progress/run-view";
/** Node statuses (documented in shared/state/run-types.ts). */
export { NODE_STATUSES, type NodeStatus } from "../shared/state/run-types";

/**
 * The body of `GET /v1/cache/stats` (functions/cache.ts): the tenant's result-cache totals (hits, shared calls,
 * misses, lookups, hit rate 0..1 or null before any lookup, tokens and USD saved, the USD also as integer micro-USD)
 * and the same counters per workflow. Counters live for 90 days after their last write (shared/cache/stats.ts).
 */
export type CacheStatsBody = CacheStats & { tenant: string };
