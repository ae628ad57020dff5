/**
 * The load test: N review-all runs started at once against one worker. Every run must complete with every node
 * done exactly once; the figures are node completions per second over the wall time, the per-hop overhead of all
 * nodes of all runs, the makespans, and the cost per node.
 */
import { statsDelta } from "../run-figures.js";
import { perNodeCost } from "./cost.js";
import type { EngineHarness } from "./engine-harness.js";
import { BENCH_INPUT } from "./engine-run.js";
import { hopOverheads, inNodeOverheads, type NodeHop } from "./hop-overhead.js";
import { summarize } from "./percentiles.js";
import { cpuPerNode } from "./process-cpu.js";
import type { LoadResult } from "./results.js";
import type { BenchWorkflow } from "./workflow.js";

/**
 * Starts `runs` runs of `workflow` (review-all as the benchmark runs it: its own agents, prompts and concurrency,
 * every call sleeping `latencyMs`, result cache off) with concurrent `POST /v1/runs`, waits for all, and measures
 * them.
 * @param dependencies the workflow's node id → dependency ids (for the hop overheads).
 * @param timeoutMs give up waiting after this long (unfinished runs are counted, not hidden).
 * @throws Error when a `POST /v1/runs` is refused (a lost trigger is a failure of the test, not a figure).
 */
export async function runLoadTest(
  engine: EngineHarness,
  opts: {
    workflow: BenchWorkflow;
    runs: number;
    latencyMs: number;
    dependencies: Record<string, readonly string[]>;
    timeoutMs: number;
  },
): Promise<LoadResult> {
  const before = engine.stats();
  const cpuBefore = engine.processCpu();
  const t0 = Date.now();
  const runIds = await Promise.all(
    Array.from({ length: opts.runs }, () => engine.startRun({ workflow: opts.workflow, input: BENCH_INPUT })),
  );
  const { views, idleStats, idleCpu } = await engine.waitForRuns(runIds, opts.timeoutMs);
  const stats = statsDelta(before, idleStats);
  const nodesPerRun = Object.keys(opts.dependencies).length;
  const latencies = Object.fromEntries(opts.workflow.nodes.map((n) => [n.id, n.simulate.latencyMs]));
  const finishedAt = views.map((v) => (v.finishedAt ? Date.parse(v.finishedAt) : Number.NaN)).filter(Number.isFinite);
  const wallMs = finishedAt.length > 0 ? Math.max(...finishedAt) - t0 : Date.now() - t0;
  const hops: NodeHop[] = views.flatMap((v) => hopOverheads(v, opts.dependencies).hops);
  const nodesDone = views.reduce((n, v) => n + v.totals.done, 0);
  return {
    runs: opts.runs,
    latencyMsPerNode: opts.latencyMs,
    completed: views.filter((v) => v.status === "completed").length,
    failed: views.filter((v) => v.status === "failed").length,
    unfinished: views.filter((v) => v.status === "running").length,
    nodesExpected: opts.runs * nodesPerRun,
    nodesDone,
    wallMs,
    nodeCompletionsPerSecond: wallMs > 0 ? nodesDone / (wallMs / 1000) : 0,
    makespan: summarize(views.filter((v) => v.finishedAt !== null).map((v) => v.makespanMs)),
    hop: {
      all: summarize(hops.map((h) => h.waitMs)),
      dependent: summarize(hops.filter((h) => !h.root).map((h) => h.waitMs)),
    },
    inNodeOverhead: summarize(views.flatMap((v) => inNodeOverheads(v, latencies))),
    stats,
    perNode: perNodeCost(stats, nodesDone),
    cpuMsPerNode: cpuPerNode(cpuBefore, idleCpu, nodesDone),
  };
}
