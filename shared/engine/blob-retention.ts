/**
 * How long a run's blobs (its input and its nodes' outputs) live, so that nothing a running run needs expires before
 * it ends, and what it wrote is kept `RUN_RETENTION_SECONDS` after it ends:
 * - a blob is written (or, on a result cache hit, touched) with {@link liveBlobTtlSeconds}: the retention plus two
 *   sweeper periods, and only ever extended (`EXPIRE … GT`: blobs are shared by content, so no run shortens another's);
 * - while the run is live, the sweeper's look every period extends them again once the run is old enough to need it
 *   (sweeper.ts `keepBlobs`), also while no delivery comes (a node in QStash backoff for days); the two periods of
 *   margin cover a look that comes late or a retention shorter than the period;
 * - when the run finishes, {@link retainRunBlobs} extends them to at least the retention from then (an output written
 *   just before the end must not expire before the run's own keys).
 * So a blob lives at most the retention plus two periods after the last run that wrote, read or finished with it.
 */
import type { Engine, EngineConfig } from "./engine.js";

/**
 * TTL (seconds) a live run's blobs are written and touched with: the retention plus two sweeper periods (rounded up).
 * @param config `retentionSeconds` (s) and the sweeper's `periodMs` (ms).
 */
export function liveBlobTtlSeconds(config: {
  retentionSeconds: EngineConfig["retentionSeconds"];
  sweeper: Pick<EngineConfig["sweeper"], "periodMs">;
}): number {
  return config.retentionSeconds + 2 * Math.ceil(config.sweeper.periodMs / 1000);
}

/**
 * Extends a finished run's input and output blobs to live at least the retention from now (never shortens one).
 * Best effort: a failure is logged, and the blobs keep the TTL of their last write or sweep.
 * @param refs the run's input ref and its output refs (duplicates allowed).
 */
export async function retainRunBlobs(engine: Engine, runId: string, refs: readonly string[]): Promise<void> {
  const unique = [...new Set(refs.filter((r) => r !== ""))];
  if (unique.length === 0) return;
  try {
    await engine.blobs.touch(unique, engine.config.retentionSeconds);
  } catch (err) {
    console.error(`run ${runId}: blobs not extended to the retention at its finish (${String(err)})`);
  }
}
