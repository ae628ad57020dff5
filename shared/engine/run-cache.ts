import type { CompiledDag } from "../dag/compile.js";
import { compileWorkflowDag } from "../dag/workflow-dag.js";
import type { RunStore } from "../state/run-store.js";
import type { FrozenRun } from "../state/run-types.js";

/** A run's frozen definition with its compiled DAG. */
export interface LoadedRun {
  frozen: FrozenRun;
  dag: CompiledDag;
}

/** Most runs kept per isolate; the oldest is evicted first. */
export const RUN_CACHE_SIZE = 256;

const cache = new Map<string, LoadedRun>();

/**
 * Loads a run's frozen definition and compiles its DAG, caching both per isolate. Safe because a run's definition
 * never changes after start; it saves one Redis read and one compile per delivery.
 * @param frozen when the caller already holds the frozen definition (e.g. from a pipelined read), it is used as is.
 * @returns null when the run does not exist or expired.
 */
export async function loadRun(store: RunStore, runId: string, frozen?: FrozenRun | null): Promise<LoadedRun | null> {
  const hit = cache.get(runId);
  if (hit) return hit;
  const f = frozen ?? (await store.readFrozen(runId));
  if (!f) return null;
  const loaded = { frozen: f, dag: compileWorkflowDag(f.workflow) };
  cache.set(runId, loaded);
  if (cache.size > RUN_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return loaded;
}

/** Seeds the cache with a run just created, so its first deliveries in this isolate skip the read. */
export function rememberRun(loaded: LoadedRun): void {
  cache.set(loaded.frozen.runId, loaded);
}
