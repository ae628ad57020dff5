/**
 * Workload → workflow definition: one simulated agent node per task, edges from the task's dependencies
 * (duplicates removed), each node sleeping `runtime_s × scale` ms on the simulated provider.
 */
import type { RUN_MODES } from "../../shared/schema/workflow.js";
import type { Workload } from "./workloads.js";

/** A scheduling mode of the engine: `eager`, `levels` or `sequential` (shared/schema/workflow.ts RUN_MODES). */
export type RunMode = (typeof RUN_MODES)[number];

/** The largest per-run concurrency a workflow accepts (shared/schema/workflow.ts): the bench's "unlimited". */
export const UNLIMITED_CONCURRENCY = 1000;

/** How to turn a workload into a workflow. */
export interface WorkflowOptions {
  /** Simulated ms per recorded second of task runtime (e.g. 10 → a 500 s task sleeps 5,000 ms). */
  scaleMsPerSecond: number;
  /** Scheduling mode (default `eager`). */
  mode?: RunMode;
  /** Per-run concurrency, 1..1000 (default {@link UNLIMITED_CONCURRENCY}). */
  concurrency?: number;
  /** Pad every node's output to this many bytes (simulate.outputBytes), for the message-size benchmark. */
  outputBytes?: number;
  /** Workflow name (default `bench-<workload name>`). */
  name?: string;
  /**
   * Use the cross-run result cache (default false: the benchmark measures scheduling, and a cache hit would skip
   * the simulated latency; the cache's own figures come from `npm run demo -- --twice`).
   */
  cache?: boolean;
  /** The workflow's `nodesPerDelivery` (1 = no chains); absent: not set, the engine's default applies. */
  nodesPerDelivery?: number | undefined;
}

/** A workflow definition as sent inline to `POST /v1/runs` (validated by the worker, so loosely typed here). */
export type BenchWorkflow = {
  name: string;
  mode: RunMode;
  concurrency: number;
  cache: boolean;
  agents: Record<string, unknown>;
  nodes: BenchNode[];
  [field: string]: unknown;
};

/** One node of a {@link BenchWorkflow}: `simulate.latencyMs` in ms, `simulate.outputBytes` in bytes. */
export type BenchNode = {
  id: string;
  agent: string;
  prompt: string;
  dependsOn: string[];
  simulate: { latencyMs: number; outputBytes?: number };
  [field: string]: unknown;
};

/** Distinct values of `deps` in first-seen order (the workload files may list a dependency twice). */
export function dedupe(deps: readonly string[]): string[] {
  return [...new Set(deps)];
}

/**
 * The simulated latency of a task, ms: `runtime_s × scaleMsPerSecond`, rounded to the nearest ms (the simulated
 * provider sleeps whole ms).
 * @throws RangeError for a negative or non-finite runtime or scale.
 */
export function latencyMs(runtimeS: number, scaleMsPerSecond: number): number {
  if (!(Number.isFinite(runtimeS) && runtimeS >= 0))
    throw new RangeError(`runtime must be a finite number >= 0 s, got ${runtimeS}`);
  if (!(Number.isFinite(scaleMsPerSecond) && scaleMsPerSecond >= 0)) {
    throw new RangeError(`scale must be a finite number >= 0 ms/s, got ${scaleMsPerSecond}`);
  }
  return Math.round(runtimeS * scaleMsPerSecond);
}

/**
 * Builds the workflow definition for a workload. A generic workload gets one agent (`task`, model `sim-fast`) and
 * one node per task with the prompt `Run <category> (<id>).` (distinct per task; no template reads, so it measures
 * scheduling, not blob traffic). A bundled workload (review-all) keeps its own agents, prompts and templates; only
 * `name`, `mode`, `concurrency`, `cache` and each node's `simulate` are set.
 * @throws RangeError from {@link latencyMs}, or for a concurrency outside 1..1000.
 */
export function workloadWorkflow(workload: Workload, opts: WorkflowOptions): BenchWorkflow {
  const concurrency = opts.concurrency ?? UNLIMITED_CONCURRENCY;
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= UNLIMITED_CONCURRENCY)) {
    throw new RangeError(`concurrency must be an integer in 1..${UNLIMITED_CONCURRENCY}, got ${concurrency}`);
  }
  const name = opts.name ?? `bench-${workload.name}`;
  const mode = opts.mode ?? "eager";
  const cache = opts.cache ?? false;
  const chain = opts.nodesPerDelivery !== undefined ? { nodesPerDelivery: opts.nodesPerDelivery } : {};
  const simulate = (runtimeS: number) => ({
    latencyMs: latencyMs(runtimeS, opts.scaleMsPerSecond),
    ...(opts.outputBytes !== undefined ? { outputBytes: opts.outputBytes } : {}),
  });
  const runtimeOf = new Map(workload.tasks.map((t) => [t.id, t.runtime_s]));
  if (workload.definition) {
    const def = structuredClone(workload.definition);
    return {
      ...def,
      name,
      mode,
      concurrency,
      cache,
      ...chain,
      agents: (def["agents"] ?? {}) as Record<string, unknown>,
      nodes: def.nodes.map((n) => ({
        ...n,
        agent: String(n["agent"]),
        prompt: String(n["prompt"]),
        dependsOn: dedupe(n.dependsOn ?? []),
        simulate: simulate(runtimeOf.get(n.id) ?? 0),
      })),
    };
  }
  return {
    name,
    mode,
    concurrency,
    cache,
    ...chain,
    agents: { task: { system: "Simulated workload task.", model: "sim-fast", maxOutputTokens: 64 } },
    nodes: workload.tasks.map((t) => ({
      id: t.id,
      agent: "task",
      prompt: `Run ${t.category} (${t.id}).`,
      dependsOn: dedupe(t.deps),
      simulate: simulate(t.runtime_s),
    })),
  };
}
