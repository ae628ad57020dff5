/**
 * A cache entry: what a node's call produced, by reference. The output text itself stays in the blob store under
 * `outputRef` (shared/blobs), so an entry is small and a sensitive output is never copied out of its encrypted blob.
 * Stored as a JSON string under `<prefix>:{cache:<tenant>}:e:<hash>` (keys.ts); no Lua script reads inside it.
 */

/** Token usage of the call that produced an entry, as billed (cache reads and writes are not in `inputTokens`). */
export interface CacheEntryUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** A cached node result. */
export interface CacheEntry {
  /** Blob ref of the output text (shared/blobs). */
  outputRef: string;
  /** Model that produced the output. */
  model: string;
  /** Tokens the producing call used; a hit saves all of them. */
  usage: CacheEntryUsage;
  /** Cost of the producing call, integer micro-USD (1e-6 USD); a hit saves it. */
  costMicroUsd: number;
  /** When the entry was written, ms since epoch. */
  createdAt: number;
  /** The node whose call produced it, and the attempt of that node (absent in entries written before it was kept). */
  producedBy: { runId: string; nodeId: string; attempt?: number | undefined };
}

/** What a hit on `entry` saves: every billed token (input + output + cache reads + cache writes) and the cost. */
export interface CacheSaving {
  /** Tokens, integer >= 0. */
  tokens: number;
  /** Integer micro-USD (1e-6 USD), >= 0. */
  microUsd: number;
}

/**
 * The tokens and cost a hit on `entry` saves (counted like `billedTokens` in shared/engine/model-call.ts).
 */
export function savingOf(entry: CacheEntry): CacheSaving {
  const u = entry.usage;
  return {
    tokens: u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens,
    microUsd: entry.costMicroUsd,
  };
}

/**
 * Serialises an entry for Redis (JSON, fields in a fixed order).
 * @throws RangeError for an empty ref, model, run id or node id, or a count, cost or time that is not an integer >= 0.
 */
export function encodeEntry(entry: CacheEntry): string {
  const checked = checkEntry(entry);
  if (checked !== null) throw new RangeError(`Invalid cache entry: ${checked}`);
  const { outputRef, model, usage, costMicroUsd, createdAt, producedBy } = entry;
  return JSON.stringify({
    outputRef,
    model,
    usage: {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadTokens: usage.cacheReadTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
    },
    costMicroUsd,
    createdAt,
    producedBy: {
      runId: producedBy.runId,
      nodeId: producedBy.nodeId,
      ...(producedBy.attempt !== undefined ? { attempt: producedBy.attempt } : {}),
    },
  });
}

/**
 * Parses a stored entry.
 * @returns the entry, or null when `raw` is not one {@link encodeEntry} could have written (a corrupt or foreign
 *   value is treated as a miss rather than served).
 */
export function decodeEntry(raw: string): CacheEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (checkEntry(value) !== null) return null;
  const e = value as CacheEntry;
  return {
    outputRef: e.outputRef,
    model: e.model,
    usage: {
      inputTokens: e.usage.inputTokens,
      outputTokens: e.usage.outputTokens,
      cacheReadTokens: e.usage.cacheReadTokens,
      cacheWriteTokens: e.usage.cacheWriteTokens,
    },
    costMicroUsd: e.costMicroUsd,
    createdAt: e.createdAt,
    producedBy: {
      runId: e.producedBy.runId,
      nodeId: e.producedBy.nodeId,
      ...(isCount(e.producedBy.attempt) && e.producedBy.attempt > 0 ? { attempt: e.producedBy.attempt } : {}),
    },
  };
}

/** null when `v` has the shape of a {@link CacheEntry}, else what is wrong. */
function checkEntry(v: unknown): string | null {
  if (!isObject(v)) return "not an object";
  for (const f of ["outputRef", "model"] as const) if (!isText(v[f])) return `${f} must be a non-empty string`;
  if (!isObject(v.usage)) return "usage must be an object";
  for (const f of ["inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens"] as const) {
    if (!isCount(v.usage[f])) return `usage.${f} must be an integer >= 0`;
  }
  if (!isCount(v.costMicroUsd)) return "costMicroUsd must be an integer >= 0";
  if (!isCount(v.createdAt)) return "createdAt must be an integer >= 0";
  if (!isObject(v.producedBy) || !isText(v.producedBy.runId) || !isText(v.producedBy.nodeId)) {
    return "producedBy must hold a non-empty runId and nodeId";
  }
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isText(v: unknown): v is string {
  return typeof v === "string" && v.length > 0;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
