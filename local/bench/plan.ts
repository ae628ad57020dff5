/**
 * What a benchmark runs: the settings of `npm run bench` and `--quick`, each workload prepared at its scale (the
 * critical path lasts `criticalPathTargetMs`), the reference schedules, and the list of runs with the ones that
 * would exceed the per-run budget marked "not run" with how long they would take. Pure.
 */
import { isDeepStrictEqual } from "node:util";
import type { CompiledDag } from "../../shared/dag/compile.js";
import { NODE_LIMIT_CEILING } from "../../shared/schema/workflow.js";

import { levelBarrierSchedule } from "./barrier-schedule.js";
import { workloadDag } from "./dag.js";
import { listSchedule } from "./list-schedule.js";
import type { WorkloadResult } from "./results.js";
import { type RunMode, UNLIMITED_CONCURRENCY } from "./workflow.js";
import type { Workload } from "./workloads.js";

/**
 * The node limit the benchmark's worker runs with (`MAX_WORKFLOW_NODES`, set by engine-harness.ts): the schema's
 * ceiling, 5,000, instead of the default 1,000, so bwa (1,004 nodes) runs too.
 */
export const BENCH_MAX_NODES = NODE_LIMIT_CEILING;

/**
 * Agent-dag runs whose reference schedule is at most this long are measured {@link BenchSettings.repeats} times
 * (the median is reported); longer ones once. On a shared virtual machine the same run varies by tens of percent
 * from one minute to the next (CPU steal); short runs are cheap to repeat and are the most affected.
 */
export const REPEAT_MAX_EXPECTED_MS = 30_000;

/** Benchmark settings (durations in ms, sizes in bytes). */
export interface BenchSettings {
  quick: boolean;
  /** Workload names to run (`review-all`, `viralrecon`, …), in this order. */
  workloads: string[];
  /** Each workload's scale is chosen so its critical path lasts this long, ms. */
  criticalPathTargetMs: number;
  /** A sequential or concurrency-limited run whose reference schedule exceeds this is not run, ms. */
  runBudgetMs: number;
  /** Run concurrency limits compared with the list schedule (slots). */
  concurrencyLimits: number[];
  /** Run the LangGraph.js peer. */
  peer: boolean;
  /** Review-all runs started at once in the load test (0 = no load test). */
  loadRuns: number;
  /** Simulated latency of every agent call in the load test, ms. */
  loadLatencyMs: number;
  /** Output sizes of the message-size experiment, bytes (empty = none). */
  messageSizes: number[];
  /** Children of the dynamic fan-out run (`root → map(N) → join`, 1 s calls; 0 = skip: map-fanout.ts). */
  fanoutWidth: number;
  /** Fan-out runs measured one after another (the median overhead is the claim's). */
  fanoutRuns: number;
  /**
   * Measurements of each eager run (unlimited or with a concurrency limit) whose reference schedule is at most
   * {@link REPEAT_MAX_EXPECTED_MS}; the median makespan's run is reported with every sample (1 = no repeats).
   */
  repeats: number;
  /** Send every request through wrangler's proxy worker, as `wrangler dev` does, instead of to the worker itself. */
  viaProxy: boolean;
  /**
   * Keep wrangler's local observability collector (a streaming tail worker on the worker's own workerd thread) on,
   * as `wrangler dev` has it; off by default (local/local-worker.ts says why).
   */
  localObservability: boolean;
  /**
   * `--nodes-per-delivery`: the `nodesPerDelivery` every agent-dag run's workflow sets (1 = no chains), for
   * comparison; absent: the engine's default (shared/engine/chain-policy.ts).
   */
  nodesPerDelivery?: number;
}

/** The nine real workloads and review-all, by short name, smallest first. */
export const ALL_WORKLOADS = [
  "review-all",
  "srasearch",
  "methylseq",
  "soykb",
  "epigenomics",
  "viralrecon",
  "airrflow",
  "montage",
  "1000genome",
  "bwa",
] as const;

/** Settings of a full run (`npm run bench`): every workload, 5 s critical paths, runs up to 240 s each. */
export const FULL_SETTINGS: BenchSettings = {
  quick: false,
  workloads: [...ALL_WORKLOADS],
  criticalPathTargetMs: 5_000,
  runBudgetMs: 240_000,
  concurrencyLimits: [4, 16],
  peer: true,
  loadRuns: 50,
  loadLatencyMs: 500,
  messageSizes: [1_024, 1_048_576],
  fanoutWidth: 256,
  fanoutRuns: 3,
  repeats: 3,
  viaProxy: false,
  localObservability: false,
};

/** Settings of `--quick` (under two minutes): four workloads, 2 s critical paths, runs up to 10 s each. */
export const QUICK_SETTINGS: BenchSettings = {
  ...FULL_SETTINGS,
  quick: true,
  workloads: ["review-all", "methylseq", "viralrecon", "airrflow"],
  criticalPathTargetMs: 2_000,
  runBudgetMs: 10_000,
  loadLatencyMs: 200,
  fanoutRuns: 1,
  repeats: 1,
};

/**
 * True when `settings` are those of a plain `npm run bench` (every workload, the default scale, limits, repeats,
 * load and message-size settings): only such a run replaces `bench/results/latest.*`, which docs/performance.md
 * quotes. A subset or another scale still writes its own `<stamp>.*` files.
 */
export function isFullRun(settings: BenchSettings): boolean {
  return isDeepStrictEqual(settings, FULL_SETTINGS);
}

/** A workload ready to run: its scale (simulated ms per recorded second), its scaled DAG and reference figures. */
export interface PreparedWorkload {
  workload: Workload;
  scaleMsPerSecond: number;
  /** The DAG with the simulated latencies as weights, ms. */
  dag: CompiledDag;
  summary: WorkloadResult;
}

/**
 * Scales a workload so its critical path lasts `targetMs` and computes its reference schedules on the scaled
 * latencies (critical path, total work, level barrier with unlimited slots, list schedule and level barrier with
 * each of `limits` slots).
 * @throws RangeError when the workload's critical path is 0 s (nothing to scale), DagError for a non-DAG.
 */
export function prepareWorkload(workload: Workload, targetMs: number, limits: readonly number[]): PreparedWorkload {
  const raw = workloadDag(workload);
  const cpS = raw.criticalPath.weightMs / 1000;
  if (!(cpS > 0)) throw new RangeError(`workload ${workload.name} has a critical path of 0 s: cannot scale it`);
  const scaleMsPerSecond = targetMs / cpS;
  const dag = workloadDag(workload, scaleMsPerSecond);
  const barrier = levelBarrierSchedule(dag, Infinity).makespanMs;
  return {
    workload,
    scaleMsPerSecond,
    dag,
    summary: {
      name: workload.name,
      source: workload.source,
      nodes: dag.ids.length,
      edges: dag.edgeCount,
      levels: dag.levels.length,
      maxWidth: dag.maxWidth,
      criticalPathHops: dag.criticalPath.nodes.length,
      recordedCriticalPathS: cpS,
      recordedTotalWorkS: raw.totalWeightMs / 1000,
      scaleMsPerSecond,
      criticalPathMs: dag.criticalPath.weightMs,
      totalWorkMs: dag.totalWeightMs,
      levelBarrierMs: barrier,
      barrierOverCriticalPath: dag.criticalPath.weightMs > 0 ? barrier / dag.criticalPath.weightMs : 1,
      listScheduleMs: Object.fromEntries(
        limits.map((p) => [
          `P${p}`,
          { dep: listSchedule(dag, p).makespanMs, bar: levelBarrierSchedule(dag, p).makespanMs },
        ]),
      ),
    },
  };
}

/** One planned run: `skip` holds the reason when it is not run (e.g. "would take 412 s, budget 240 s"). */
export interface PlannedRun {
  scenario: "makespan" | "concurrency";
  workload: string;
  executor: "agent-dag" | "langgraph";
  mode: RunMode | "supersteps";
  concurrency: number;
  /** The reference schedule for this run, ms. */
  expectedMs: number;
  /** Measured more than once (`--repeats`): eager agent-dag runs whose reference is ≤ {@link REPEAT_MAX_EXPECTED_MS}. */
  repeatable: boolean;
  skip?: string;
}

/**
 * The runs of one workload, in the order they execute: eager, levels, LangGraph (when `peer`), sequential (when its
 * total work fits the budget), then eager with each concurrency limit (when its list schedule fits the budget).
 * A workload with more nodes than the benchmark's worker accepts ({@link BENCH_MAX_NODES}) gets no engine runs,
 * only the reason; LangGraph still runs it.
 */
export function planRuns(
  p: PreparedWorkload,
  settings: Pick<BenchSettings, "runBudgetMs" | "concurrencyLimits" | "peer">,
): PlannedRun[] {
  const s = p.summary;
  const name = s.name;
  const over = (ms: number) =>
    ms > settings.runBudgetMs
      ? `not run (would take ${Math.round(ms / 1000)} s; budget ${Math.round(settings.runBudgetMs / 1000)} s)`
      : undefined;
  const run = (fields: Omit<PlannedRun, "skip" | "repeatable">, skip?: string): PlannedRun => {
    const r = {
      ...fields,
      repeatable:
        fields.executor === "agent-dag" && fields.mode === "eager" && fields.expectedMs <= REPEAT_MAX_EXPECTED_MS,
    };
    return skip === undefined ? r : { ...r, skip };
  };
  const tooBig =
    s.nodes > BENCH_MAX_NODES ? `not run (${s.nodes} nodes; a workflow holds at most ${BENCH_MAX_NODES})` : undefined;
  const engine = (r: Omit<PlannedRun, "skip" | "repeatable">, skip?: string) => run(r, tooBig ?? skip);
  const runs: PlannedRun[] = [
    engine({
      scenario: "makespan",
      workload: name,
      executor: "agent-dag",
      mode: "eager",
      concurrency: UNLIMITED_CONCURRENCY,
      expectedMs: s.criticalPathMs,
    }),
    engine({
      scenario: "makespan",
      workload: name,
      executor: "agent-dag",
      mode: "levels",
      concurrency: UNLIMITED_CONCURRENCY,
      expectedMs: s.levelBarrierMs,
    }),
  ];
  if (settings.peer) {
    runs.push(
      run({
        scenario: "makespan",
        workload: name,
        executor: "langgraph",
        mode: "supersteps",
        concurrency: UNLIMITED_CONCURRENCY,
        expectedMs: s.levelBarrierMs,
      }),
    );
  }
  runs.push(
    engine(
      {
        scenario: "makespan",
        workload: name,
        executor: "agent-dag",
        mode: "sequential",
        concurrency: 1,
        expectedMs: s.totalWorkMs,
      },
      over(s.totalWorkMs),
    ),
  );
  for (const limit of settings.concurrencyLimits) {
    const expected = s.listScheduleMs[`P${limit}`]?.dep ?? s.totalWorkMs;
    runs.push(
      engine(
        {
          scenario: "concurrency",
          workload: name,
          executor: "agent-dag",
          mode: "eager",
          concurrency: limit,
          expectedMs: expected,
        },
        over(expected),
      ),
    );
  }
  return runs;
}
