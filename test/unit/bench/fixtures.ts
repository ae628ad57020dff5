/**
 * Small, valid benchmark results for the report, table, claim and schema tests: two workloads (viralrecon-like with
 * a barrier ceiling of 2.59, and a 300-node one beyond the ratio claim's 250-node bound), their runs, a load test
 * and a message-size pair. Figures are made up for the tests; `overrides` replaces top-level fields.
 */

import type { BenchResults, RunResult, WorkloadResult } from "../../../local/bench/results.js";
import { emptyStats } from "../../../local/stats.js";

/** A workload summary with the given name, node count and barrier / CP. */
export function workload(name: string, nodes: number, barrier: number): WorkloadResult {
  return {
    name,
    source: `bench/workloads/${name}.dag.json`,
    nodes,
    edges: nodes,
    levels: 5,
    maxWidth: 10,
    criticalPathHops: 5,
    recordedCriticalPathS: 500,
    recordedTotalWorkS: 2500,
    scaleMsPerSecond: 4,
    criticalPathMs: 2000,
    totalWorkMs: 10_000,
    levelBarrierMs: 2000 * barrier,
    barrierOverCriticalPath: barrier,
    listScheduleMs: { P4: { dep: 2600, bar: 5000 } },
  };
}

/** A completed run with the given makespan (ms) and reference schedule; the critical path is 2000 ms. */
export function run(
  workloadName: string,
  over: Partial<RunResult> & Pick<RunResult, "executor" | "mode">,
  makespanMs: number,
  expectedMs = 2000,
): RunResult {
  const perNode =
    over.executor === "agent-dag"
      ? {
          qstashMessages: 2,
          qstashPublished: 1,
          qstashDeliveries: 2,
          redisCommands: 6,
          redisRequests: 3,
          redisRequestBytes: 900,
          publishBytesPerMessage: 734,
          deliveryBytesPerDelivery: 740,
        }
      : null;
  return {
    scenario: "makespan",
    workload: workloadName,
    concurrency: 1000,
    outcome: "completed",
    nodes: 200,
    criticalPathMs: 2000,
    expectedMs,
    makespanMs,
    ratio: makespanMs / 2000,
    measuredCriticalPathMs: over.executor === "agent-dag" ? 2010 : null,
    ratioMeasuredCp: over.executor === "agent-dag" ? makespanMs / 2010 : null,
    overExpected: makespanMs / expectedMs,
    cpHopMs: (makespanMs - 2000) / 5,
    hop: {
      all: { count: 200, mean: 12, p50: 10, p95: 20, max: 30 },
      dependent: { count: 185, mean: 12, p50: 10, p95: 20, max: 30 },
    },
    inNodeOverhead: over.executor === "agent-dag" ? { count: 200, mean: 9, p50: 8, p95: 15, max: 22 } : null,
    attempts: 200,
    stats: over.executor === "agent-dag" ? emptyStats() : null,
    perNode,
    cpuMsPerNode: over.executor === "agent-dag" ? { workerd: 9.5, workerdThread: 7, node: 6.2, redis: null } : null,
    ...over,
  };
}

/** Valid results: viralrecon (all modes, P=4) and big (eager only), a load test and two message sizes. */
export function sampleResults(overrides: Partial<BenchResults> = {}): BenchResults {
  return {
    schemaVersion: 1,
    date: "2026-11-20T22:00:00.000Z",
    command: "npm run bench -- --quick",
    argv: ["--quick"],
    quick: true,
    durationMs: 90_000,
    machine: {
      cpus: 2,
      cpuModel: "Test CPU",
      memoryBytes: 8 * 2 ** 30,
      os: "Linux 6.1",
      arch: "x64",
      node: "v22.23.3",
      loadAverageStart: [0.5, 0.4, 0.3],
      loadAverageEnd: [1.5, 1, 0.5],
    },
    versions: { wrangler: "4.124.0", "@langchain/langgraph": "1.4.17" },
    git: { commit: "a".repeat(40), dirty: true },
    stack: { backend: "redis", redisServer: "7.0.15" },
    settings: {
      criticalPathTargetMs: 2000,
      runBudgetMs: 10_000,
      unlimitedConcurrency: 1000,
      concurrencyLimits: [4],
      loadRuns: 50,
      loadLatencyMs: 200,
      messageSizes: [1024, 1_048_576],
      workloads: ["viralrecon", "big"],
    },
    workloads: [workload("viralrecon", 203, 2.59), workload("big", 300, 1.1)],
    runs: [
      run("viralrecon", { executor: "agent-dag", mode: "eager" }, 2100),
      run("viralrecon", { executor: "agent-dag", mode: "levels" }, 5300, 5180),
      run("viralrecon", { executor: "langgraph", mode: "supersteps" }, 5250, 5180),
      run(
        "viralrecon",
        {
          executor: "agent-dag",
          mode: "sequential",
          concurrency: 1,
          outcome: "not-run",
          reason: "not run (would take 12 s; budget 10 s)",
          makespanMs: null,
          ratio: null,
          overExpected: null,
          hop: null,
          perNode: null,
          stats: null,
        },
        0,
        12_000,
      ),
      run("viralrecon", { executor: "agent-dag", mode: "eager", scenario: "concurrency", concurrency: 4 }, 2700, 2600),
      run("big", { executor: "agent-dag", mode: "eager" }, 2600),
    ],
    load: {
      runs: 50,
      latencyMsPerNode: 200,
      completed: 50,
      failed: 0,
      unfinished: 0,
      nodesExpected: 350,
      nodesDone: 350,
      wallMs: 3500,
      nodeCompletionsPerSecond: 100,
      makespan: { count: 50, mean: 3000, p50: 3000, p95: 3400, max: 3500 },
      hop: {
        all: { count: 350, mean: 40, p50: 35, p95: 90, max: 120 },
        dependent: { count: 300, mean: 40, p50: 35, p95: 90, max: 120 },
      },
      inNodeOverhead: { count: 350, mean: 12, p50: 11, p95: 20, max: 30 },
      stats: emptyStats(),
      perNode: {
        qstashMessages: 2,
        qstashPublished: 1,
        qstashDeliveries: 2,
        redisCommands: 6,
        redisRequests: 3,
        redisRequestBytes: 900,
        publishBytesPerMessage: 734,
        deliveryBytesPerDelivery: 740,
      },
    },
    messageSize: [1024, 1_048_576].map((outputBytes) => ({
      workload: "review-all",
      outputBytes,
      nodes: 7,
      outcome: "completed" as const,
      stats: emptyStats(),
      perNode: {
        qstashMessages: 2,
        qstashPublished: 1,
        qstashDeliveries: 2,
        redisCommands: 6,
        redisRequests: 3,
        redisRequestBytes: outputBytes > 2000 ? 9000 : 7700,
        publishBytesPerMessage: 734,
        deliveryBytesPerDelivery: 740,
      },
    })),
    claims: [],
    ...overrides,
  };
}
