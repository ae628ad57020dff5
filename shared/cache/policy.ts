/**
 * A node's cache settings, resolved from its workflow definition: whether it uses the cache, how long its entries
 * live, its tags, and how long its in-flight lock may live.
 */
import { MAX_CACHE_TTL_MS, parseDurationMs } from "../schema/duration.js";
import type { WorkflowDefinition, WorkflowNode } from "../schema/workflow.js";

/**
 * How long an in-flight lock outlives the node's timeout, ms (30 s): room for storing the output and writing the
 * entry after the provider answers. A holder that crashes keeps others waiting at most timeout + this margin.
 */
export const LOCK_MARGIN_MS = 30_000;

/** A node's resolved cache settings. */
export interface CachePolicy {
  /** `node.cache ?? workflow.cache` (the schema defaults the workflow's to true). */
  enabled: boolean;
  /** Entry lifetime, whole seconds >= 1: `node.cacheTtl ?? workflow.cacheTtl` (schema default 1 h), rounded up. */
  ttlSeconds: number;
  /** `node.cacheTags`, distinct and sorted ([] when none). */
  tags: string[];
}

/**
 * Resolves a node's {@link CachePolicy}: the node's own `cache`, `cacheTtl` and `cacheTags` win over the workflow's.
 * @throws RangeError when a TTL is not a valid duration of at most 30 days (cannot happen for schema-parsed
 *   definitions).
 */
export function resolveCachePolicy(workflow: WorkflowDefinition, node: WorkflowNode): CachePolicy {
  const ttlMs = parseDurationMs(node.cacheTtl ?? workflow.cacheTtl, MAX_CACHE_TTL_MS);
  return {
    enabled: node.cache ?? workflow.cache,
    ttlSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
    tags: [...new Set(node.cacheTags ?? [])].sort(),
  };
}

/**
 * Lifetime of a node's in-flight lock: its timeout plus {@link LOCK_MARGIN_MS}.
 * @param timeoutMs the node's timeout, ms (resolveNodeSettings in shared/schema/node-settings.ts).
 * @returns ms, integer >= 1.
 * @throws RangeError for a timeout that is not a finite number >= 0.
 */
export function lockMsFor(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
    throw new RangeError(`Expected a timeout >= 0 ms, got ${timeoutMs}`);
  return Math.ceil(timeoutMs) + LOCK_MARGIN_MS;
}
