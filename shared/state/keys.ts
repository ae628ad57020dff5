/**
 * Redis key layout of one run.
 *
 * Every key of a run shares the hash tag `{run:<runId>}` so that a clustered Redis keeps them in one slot and a Lua
 * script may touch all of them. Per-node data lives in hashes keyed by node id, so reading a
 * whole run's progress costs a fixed number of commands whatever the DAG's size.
 */

/** Names of the per-run keys, in the fixed order in which Lua scripts receive them as `KEYS[1..n]`. */
export const RUN_KEY_NAMES = [
  "meta", // hash: run fields (status, counts, timestamps, token totals, fingerprint, …)
  "def", // string: the run's frozen definition (FrozenRun JSON), written once at start; the DAG is recompiled from it
  "pending", // hash nodeId -> number of dependencies not yet done
  "dependents", // hash nodeId -> comma-separated ids of the nodes that depend on it
  "status", // hash nodeId -> pending | queued | running | retrying | waiting | done | failed | skipped | cancelled
  "attempts", // hash nodeId -> attempts started (integer)
  "lease", // hash nodeId -> "<messageId>:<retried>" of the delivery that holds the node
  "started", // hash nodeId -> start of the latest attempt (ms since epoch)
  "finished", // hash nodeId -> end of the node (ms since epoch)
  "output", // hash nodeId -> blob ref (content hash) of the node's output
  "usage", // hash nodeId -> "<inputTokens>,<outputTokens>,<cacheReadTokens>,<cacheWriteTokens>"
  "model", // hash nodeId -> model that produced the output
  "excerpt", // hash nodeId -> first characters of the output
  "error", // hash nodeId -> last error message
  "ready", // sorted set: nodes whose dependencies are done, waiting for a slot; score = dispatch priority
  "priority", // hash nodeId -> dispatch priority (longest remaining path, ms)
  "level", // hash nodeId -> level (1 = roots)
  "levelLeft", // hash level -> nodes of that level not yet terminal
  "levelNodes", // hash level -> comma-separated node ids of that level
  "took", // hash nodeId -> comma-separated nodes taken for dispatch when this node finished
  "cost", // hash nodeId -> cost of the producing call, integer micro-USD (1e-6 USD)
  "route", // hash nodeId -> routing decision "<provider>|<tier>|<source>|<reason>"
  "cache", // hash nodeId -> result cache outcome: hit | shared | miss
  "offered", // hash nodeId -> when the node was last offered for dispatch (taken, or re-offered by the sweeper), ms
  "repairs", // list: the sweeper's repairs of the run, "<ms>|<nodeId>|<reason>", oldest first
  "history", // hash nodeId -> earlier tries (retry, rerun), one line each: "<try>|<status>|<attempts>|<error>"
  // hash "<nodeId>:<attempt>" -> usage of that attempt's paid call "<in>,<out>,<cacheRead>,<cacheWrite>,<microUsd>"
  // (",e" appended: booked at its worst case; ",r": then booked from the usage log; ",v": the log showed it unbilled);
  // "<nodeId>:<attempt>:intent" -> "<in>,<out>,<microUsd>,<atMs>,<logged>" (call-intent.ts)
  "paid",
  "events", // stream: the run's event log, one entry per transition (shared/state/run-events.ts), capped
] as const;

/** One of {@link RUN_KEY_NAMES}. */
export type RunKeyName = (typeof RUN_KEY_NAMES)[number];

/** The concrete Redis keys of one run, by name. */
export type RunKeys = Readonly<Record<RunKeyName, string>> & { readonly all: readonly string[] };

/** The keys of the runs this isolate touched last: every script call of a delivery names all of a run's keys. */
const recentKeys = new Map<string, RunKeys>();
const RECENT_KEYS_MAX = 256;

/**
 * Builds the keys of run `runId` under `prefix`.
 * @param prefix key prefix (config `KEY_PREFIX`, e.g. `"ad"`); tests use their own prefix to stay isolated.
 * @param runId run id as returned by `POST /v1/runs` (e.g. `run_0f3a…`).
 * @returns `{ meta: "ad:{run:run_…}:meta", …, all: [...] }` with `all` in {@link RUN_KEY_NAMES} order.
 */
export function runKeys(prefix: string, runId: string): RunKeys {
  const base = `${prefix}:{run:${runId}}`;
  const known = recentKeys.get(base);
  if (known) return known;
  const entries = RUN_KEY_NAMES.map((name) => [name, `${base}:${name}`] as const);
  const keys: RunKeys = Object.freeze({
    ...(Object.fromEntries(entries) as Record<RunKeyName, string>),
    all: Object.freeze(entries.map(([, key]) => key)),
  });
  if (recentKeys.size >= RECENT_KEYS_MAX) recentKeys.delete(recentKeys.keys().next().value as string);
  recentKeys.set(base, keys);
  return keys;
}

/**
 * Key of a content-addressed blob (a node output or a run input).
 * @param prefix key prefix (config `KEY_PREFIX`).
 * @param ref the blob's ref, 64 lowercase hex characters: the SHA-256 of its text, or for an encrypted blob an
 *   HMAC-SHA-256 under a key derived from `CACHE_ENCRYPTION_KEYS` (shared/blobs/blob-ref.ts).
 */
export function blobKey(prefix: string, ref: string): string {
  return `${prefix}:blob:${ref}`;
}
