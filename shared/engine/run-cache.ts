import { compensationNodes } from "../dag/compensation.js";
import type { CompiledDag } from "../dag/compile.js";
import { type TemplateRefs, templateRefs } from "../dag/template.js";
import { compileWorkflowDag } from "../dag/workflow-dag.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import type { WorkflowNode } from "../schema/workflow.js";
import type { RunStore } from "../state/run-store.js";
import type { FrozenRun } from "../state/run-types.js";
import { sharedContextRefs, templateReads } from "./shared-context.js";

/** A run's frozen definition with what every delivery derives from it, computed once per isolate. */
export interface LoadedRun {
  frozen: FrozenRun;
  dag: CompiledDag;
  /** The workflow's nodes by id, and its compensation nodes (`<id>~compensate`: shared/dag/compensation.ts). */
  nodes: ReadonlyMap<string, WorkflowNode>;
  /** nodeId -> what its prompt template reads: run input paths and upstream node ids. */
  reads: ReadonlyMap<string, TemplateRefs>;
  /** nodeId -> the upstream output it shares with siblings as a cacheable prefix (shared-context.ts). */
  sharedRefs: ReadonlyMap<string, string>;
  /** The longest node timeout of the run, ms (node-settings.ts `timeoutMs`): what a chain's delivery timeout adds
   * its window to (chain-policy.ts). */
  maxTimeoutMs: number;
}

/**
 * Derives a {@link LoadedRun} from a frozen definition; `dag` is compiled when not given.
 * @throws DagError for an invalid graph (cannot happen for a started run).
 */
export function prepareRun(frozen: FrozenRun, dag: CompiledDag = compileWorkflowDag(frozen.workflow)): LoadedRun {
  const compensations = compensationNodes(frozen.workflow);
  const reads = new Map(templateReads(frozen.workflow));
  for (const c of compensations) reads.set(c.id, templateRefs(c.prompt));
  const all = [...frozen.workflow.nodes, ...compensations];
  const maxTimeoutMs = Math.max(...all.map((n) => resolveNodeSettings(frozen.workflow, n).timeoutMs));
  return {
    frozen,
    dag,
    nodes: new Map(all.map((n) => [n.id, n])),
    reads,
    sharedRefs: sharedContextRefs(frozen.workflow, reads),
    maxTimeoutMs,
  };
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
  const loaded = prepareRun(f);
  cache.set(runId, loaded);
  if (cache.size > RUN_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return loaded;
}

/** Seeds the cache with a run just created, so its first deliveries in this isolate skip the read. */
export function rememberRun(loaded: LoadedRun): void {
  cache.set(loaded.frozen.runId, loaded);
}
