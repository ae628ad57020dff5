import { compensationNodes } from "../dag/compensation.js";
import type { CompiledDag } from "../dag/compile.js";
import { mapChildNode, mapNodeReads, WithMapChildren } from "../dag/map-refs.js";
import { effectiveSensitivity } from "../dag/sensitivity.js";
import { type TemplateRefs, templateRefs } from "../dag/template.js";
import { waitNodeReads } from "../dag/wait-condition.js";
import { compileWorkflowDag } from "../dag/workflow-dag.js";
import { httpTemplateRefs } from "../http/http-templates.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import type { WorkflowNode } from "../schema/workflow.js";
import type { RunStore } from "../state/run-store.js";
import type { FrozenRun } from "../state/run-types.js";
import { sharedContextRefs, templateReads } from "./shared-context.js";
import { subWorkflowReads } from "./sub-workflow-input.js";

/** A run's frozen definition with what every delivery derives from it, computed once per isolate. */
export interface LoadedRun {
  frozen: FrozenRun;
  dag: CompiledDag;
  /** The workflow's nodes by id, and its compensation nodes (`<id>~compensate`: shared/dag/compensation.ts), each
   * with `sensitive` set to its effective sensitivity (shared/dag/sensitivity.ts: inherited from what it reads
   * unless the workflow sets it explicitly). `get` also answers for a map node's children `<map>[i]`
   * (shared/dag/map-refs.ts), which iteration does not list. */
  nodes: ReadonlyMap<string, WorkflowNode>;
  /** nodeId -> what its prompt template reads: run input paths and upstream node ids (a map node: its `over` too; its
   * children, found by `get` only: the map's prompt; a wait node: its `wait.when` too). */
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
  const promptReads = templateReads(frozen.workflow);
  const reads = new Map(promptReads);
  for (const c of compensations) reads.set(c.id, templateRefs(c.prompt));
  for (const n of frozen.workflow.nodes)
    if (n.kind === "map") reads.set(n.id, mapNodeReads(n, reads.get(n.id) as TemplateRefs));
  // a wait node also reads what its `wait.when` condition reads (shared/dag/wait-condition.ts)
  for (const n of frozen.workflow.nodes)
    if (n.kind === "wait" && n.wait?.when !== undefined)
      reads.set(n.id, waitNodeReads(n, reads.get(n.id) as TemplateRefs));
  // an http node reads what its request's templates read; its prompt is a description (shared/http/http-templates.ts)
  for (const n of frozen.workflow.nodes) if (n.kind === "http" && n.http) reads.set(n.id, httpTemplateRefs(n.http));
  // a workflow node reads what its input's templates read (sub-workflow-node.ts)
  for (const n of frozen.workflow.nodes)
    if (n.kind === "workflow" && n.workflow) reads.set(n.id, subWorkflowReads(n.workflow));
  const all = [...frozen.workflow.nodes, ...compensations];
  const maxTimeoutMs = Math.max(...all.map((n) => resolveNodeSettings(frozen.workflow, n).timeoutMs));
  const byId = new Map(all.map((n) => [n.id, n]));
  const ordered = [...dag.order.map((id) => byId.get(id) as WorkflowNode), ...compensations];
  const sensitive = effectiveSensitivity(
    ordered.map((n) => ({
      id: n.id,
      sensitive: n.sensitive,
      reads: [...n.dependsOn, ...(reads.get(n.id)?.nodes ?? [])],
    })),
  );
  const nodes = new Map(all.map((n) => [n.id, { ...n, sensitive: sensitive.has(n.id) }]));
  const mapOf = (id: string): WorkflowNode | undefined => (nodes.get(id)?.kind === "map" ? nodes.get(id) : undefined);
  return {
    frozen,
    dag,
    nodes: new WithMapChildren(nodes, (mapId, i) => {
      const map = mapOf(mapId);
      return map ? mapChildNode(map, i) : undefined;
    }),
    reads: new WithMapChildren(reads, (mapId) => (mapOf(mapId) ? promptReads.get(mapId) : undefined)),
    sharedRefs: sharedContextRefs(frozen.workflow, reads),
    maxTimeoutMs,
  };
}

/** Most runs kept per isolate; the least recently used is evicted first. */
export const RUN_CACHE_SIZE = 256;

/**
 * Most bytes (estimated: {@link estimateRunBytes}) the cached runs may take per isolate: 16 MiB, an eighth of a
 * Worker's 128 MB (developers.cloudflare.com/workers/platform/limits, "Memory"). A count alone does not bound it: a
 * run started with a 1 MiB trigger body takes about 2 MB, so 256 of them would take 512 MB.
 */
export const RUN_CACHE_BYTES = 16 * 1024 * 1024;

/** Bytes counted per cached run on top of its definition (map entry, compiled DAG's fixed part). */
const ENTRY_OVERHEAD_BYTES = 1024;

/** Insertion order is recency order: a hit moves its run to the end, eviction takes from the front. */
const cache = new Map<string, { run: LoadedRun; bytes: number }>();
let cachedBytes = 0;

/**
 * Rough bytes a cached run holds: twice its frozen definition's JSON length (the definition itself, one byte per
 * character at best, and what is derived from it: node map, template reads, compiled DAG) plus a fixed overhead.
 */
function estimateRunBytes(run: LoadedRun): number {
  return 2 * JSON.stringify(run.frozen).length + ENTRY_OVERHEAD_BYTES;
}

/** Adds (or refreshes) a run as the most recently used, then evicts the least recently used runs until both bounds
 * hold. A run larger than the whole byte bound is not kept. */
function remember(run: LoadedRun): void {
  const runId = run.frozen.runId;
  forget(runId);
  const bytes = estimateRunBytes(run);
  if (bytes > RUN_CACHE_BYTES) return;
  cache.set(runId, { run, bytes });
  cachedBytes += bytes;
  while (cache.size > RUN_CACHE_SIZE || cachedBytes > RUN_CACHE_BYTES) forget(cache.keys().next().value as string);
}

function forget(runId: string): void {
  const entry = cache.get(runId);
  if (!entry) return;
  cache.delete(runId);
  cachedBytes -= entry.bytes;
}

/** What the run cache holds in this isolate: runs, and their estimated bytes (at most {@link RUN_CACHE_BYTES}). */
export function runCacheUsage(): { runs: number; bytes: number } {
  return { runs: cache.size, bytes: cachedBytes };
}

/**
 * Loads a run's frozen definition and compiles its DAG, caching both per isolate (least recently used evicted
 * first, within {@link RUN_CACHE_SIZE} runs and {@link RUN_CACHE_BYTES} bytes). Safe because a run's definition
 * never changes after start; it saves one Redis read and one compile per delivery.
 * @param frozen when the caller already holds the frozen definition (e.g. from a pipelined read), it is used as is.
 * @returns null when the run does not exist or expired.
 */
export async function loadRun(store: RunStore, runId: string, frozen?: FrozenRun | null): Promise<LoadedRun | null> {
  const hit = cache.get(runId);
  if (hit) {
    // most recently used now
    cache.delete(runId);
    cache.set(runId, hit);
    return hit.run;
  }
  const f = frozen ?? (await store.readFrozen(runId));
  if (!f) return null;
  const loaded = prepareRun(f);
  remember(loaded);
  return loaded;
}

/** Seeds the cache with a run just created, so its first deliveries in this isolate skip the read. */
export function rememberRun(loaded: LoadedRun): void {
  remember(loaded);
}
