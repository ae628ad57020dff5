/**
 * One measured run of a workload on the engine: start it through `POST /v1/runs`, wait for it, and turn the run
 * view and the stack's counters into a {@link RunResult} (makespan against the critical path, per-hop overhead,
 * cost per node).
 */
import type { CompiledDag } from "../../shared/dag/compile.js";
import { statsDelta } from "../run-figures.js";
import { perNodeCost } from "./cost.js";
import type { EngineHarness } from "./engine-harness.js";
import { hopOverheads, inNodeOverheads } from "./hop-overhead.js";
import { summarize } from "./percentiles.js";
import { cpuPerNode } from "./process-cpu.js";
import type { RunResult } from "./results.js";
import type { BenchWorkflow } from "./workflow.js";

/** The review-all input the benchmark sends (a tiny fixed codebase: the prompts' templates read these fields). */
export const BENCH_INPUT = {
  repo: "bench",
  tree: "src/\n  index.ts",
  files: "=== src/index.ts\nexport const answer = 42;\n",
  omitted: "",
};

/** What to run and what to hold it to. */
export interface EngineRunSpec {
  scenario: RunResult["scenario"];
  workload: string;
  workflow: BenchWorkflow;
  /** The workflow's DAG with the simulated latencies as weights (ms). */
  dag: Pick<CompiledDag, "dependencies" | "criticalPath" | "ids" | "weightMs">;
  /** The simulated schedule for this mode and concurrency, ms. */
  expectedMs: number;
  /** Give up after this long, ms. */
  timeoutMs: number;
}

/**
 * Runs one workflow and measures it. Never throws for a failed or stuck run: the outcome says what happened
 * (`failed`, `timeout`, `error` with the reason).
 */
export async function measureEngineRun(engine: EngineHarness, spec: EngineRunSpec): Promise<RunResult> {
  const base = {
    scenario: spec.scenario,
    workload: spec.workload,
    executor: "agent-dag" as const,
    mode: spec.workflow.mode,
    concurrency: spec.workflow.mode === "sequential" ? 1 : spec.workflow.concurrency,
    nodes: spec.dag.ids.length,
    criticalPathMs: spec.dag.criticalPath.weightMs,
    expectedMs: spec.expectedMs,
  };
  const before = engine.stats();
  const cpuBefore = engine.processCpu();
  let runId: string;
  try {
    runId = await engine.startRun({ workflow: spec.workflow, input: BENCH_INPUT });
  } catch (err) {
    return { ...base, ...emptyFigures(), outcome: "error", reason: err instanceof Error ? err.message : String(err) };
  }
  const { views, timedOut, idleStats, idleCpu } = await engine.waitForRuns([runId], spec.timeoutMs);
  const view = views[0]!;
  const stats = statsDelta(before, idleStats);
  const outcome = timedOut ? "timeout" : view.status === "completed" ? "completed" : "failed";
  const makespanMs = view.finishedAt === null ? null : view.makespanMs;
  const cp = spec.dag.criticalPath.weightMs;
  const hops = hopOverheads(view, spec.dag.dependencies);
  const measuredCp = view.criticalPath.durationMs;
  return {
    ...base,
    outcome,
    ...(outcome === "completed" ? {} : { reason: `run ended ${view.status}: ${JSON.stringify(view.totals)}` }),
    runId,
    makespanMs,
    ratio: makespanMs !== null && cp > 0 ? makespanMs / cp : null,
    measuredCriticalPathMs: measuredCp,
    ratioMeasuredCp: makespanMs !== null && measuredCp > 0 ? makespanMs / measuredCp : null,
    overExpected: makespanMs !== null && spec.expectedMs > 0 ? makespanMs / spec.expectedMs : null,
    cpHopMs: makespanMs !== null ? (makespanMs - cp) / Math.max(1, spec.dag.criticalPath.nodes.length) : null,
    hop: { all: hops.all, dependent: hops.dependent },
    inNodeOverhead: summarize(inNodeOverheads(view, spec.dag.weightMs)),
    attempts: view.totals.attempts,
    stats,
    perNode: perNodeCost(stats, view.totals.done),
    cpuMsPerNode: cpuPerNode(cpuBefore, idleCpu, view.totals.done),
  };
}

/** The figure fields of a run that produced none. */
export function emptyFigures(): Pick<
  RunResult,
  | "makespanMs"
  | "ratio"
  | "measuredCriticalPathMs"
  | "ratioMeasuredCp"
  | "overExpected"
  | "cpHopMs"
  | "hop"
  | "inNodeOverhead"
  | "attempts"
  | "stats"
  | "perNode"
> {
  return {
    makespanMs: null,
    ratio: null,
    measuredCriticalPathMs: null,
    ratioMeasuredCp: null,
    overExpected: null,
    cpHopMs: null,
    hop: null,
    inNodeOverhead: null,
    attempts: null,
    stats: null,
    perNode: null,
  };
}
