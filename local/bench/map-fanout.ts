/**
 * Dynamic fan-out in the benchmark: `root → map(N) → join`, every call simulated at `latencyMs`. The root returns a
 * structured list of N files (the simulated provider fills `minItems` elements), the map expands at run time into one
 * child per file, and the join reads the children's outputs. The critical path is three calls (3 × latencyMs); the
 * overhead is makespan − critical path: what the engine adds for the expansion, N dispatches, N completions and the
 * join. The result cache is off (every child is a real call) and concurrency is N, so all children may run at once.
 */
import type { RunRequest } from "../../shared/client/run-api.js";
import type { EngineHarness } from "./engine-harness.js";
import { summarize } from "./percentiles.js";
import type { FanoutRunCost, MapFanoutResult } from "./results.js";

/** Calls on the critical path of the fan-out DAG: root, one child, join. */
export const FANOUT_CRITICAL_CALLS = 3;

/**
 * The fan-out workflow: `root` (structured output: `{ files: string[] }` of exactly `width` elements), `review` (a
 * map over `root`'s files) and `join` (reads the array). Every call takes `latencyMs` (simulated).
 */
export function fanoutWorkflow(width: number, latencyMs: number): Record<string, unknown> {
  return {
    name: "bench-map-fanout",
    cache: false,
    concurrency: width,
    agents: { a: { system: "You bench.", model: "sim-fast" } },
    nodes: [
      {
        id: "root",
        agent: "a",
        prompt: "List the changed files.",
        simulate: { latencyMs },
        output: {
          schema: {
            type: "object",
            required: ["files"],
            additionalProperties: false,
            properties: { files: { type: "array", minItems: width, maxItems: width, items: { type: "string" } } },
          },
        },
      },
      {
        id: "review",
        kind: "map",
        dependsOn: ["root"],
        over: "{{nodes.root.output.files}}",
        agent: "a",
        prompt: "Review file {{index}}: {{item}}",
        simulate: { latencyMs },
      },
      {
        id: "join",
        agent: "a",
        dependsOn: ["review"],
        prompt: "Summarise the reviews: {{nodes.review.output}}",
        simulate: { latencyMs },
      },
    ],
  };
}

/**
 * Fan-out runs made before the measured ones and not held to the goal (their overheads are reported): the benchmark's
 * warm-up (cli.ts `warmUp`) runs no map, and the first fan-outs on a fresh worker also pay for compiling the
 * expansion and the children's delivery path (docs/performance.md "Dynamic fan-out").
 */
export const FANOUT_WARM_UP_RUNS = 2;

/**
 * Runs {@link FANOUT_WARM_UP_RUNS} unmeasured fan-out runs, then `runs` measured ones, one after another, and reads
 * their views.
 * @param opts.width map children per run (N); `latencyMs` simulated ms per call; `timeoutMs` per run; `warmUpRuns`
 *   (default {@link FANOUT_WARM_UP_RUNS}).
 * @returns makespan and overhead (makespan − 3 × latencyMs) summaries in ms, children counted in the views, how
 *   many runs completed, each warm-up run's overhead in ms (null when it did not complete), and what each measured
 *   run cost the stack and the worker (none for the first when there is no warm-up run to count from).
 * @throws the run API's error when a run cannot be started.
 */
export async function measureMapFanout(
  engine: EngineHarness,
  opts: { width: number; latencyMs: number; runs: number; timeoutMs: number; warmUpRuns?: number },
): Promise<MapFanoutResult> {
  const criticalPathMs = FANOUT_CRITICAL_CALLS * opts.latencyMs;
  const warmUpRuns = opts.warmUpRuns ?? FANOUT_WARM_UP_RUNS;
  const warmUpOverheadMs: (number | null)[] = [];
  // the stack's counters and the worker's CPU are cumulative: each run's cost is the difference to the run before
  let before: Awaited<ReturnType<EngineHarness["waitForRuns"]>> | null = null;
  for (let r = 0; r < warmUpRuns; r++) {
    const runId = await engine.startRun({
      workflow: fanoutWorkflow(opts.width, opts.latencyMs) as RunRequest["workflow"],
    });
    before = await engine.waitForRuns([runId], opts.timeoutMs);
    const view = before.views[0];
    warmUpOverheadMs.push(view?.status === "completed" ? view.makespanMs - criticalPathMs : null);
  }
  const makespans: number[] = [];
  const costs: FanoutRunCost[] = [];
  let completed = 0;
  let children = 0;
  for (let r = 0; r < opts.runs; r++) {
    const runId = await engine.startRun({
      workflow: fanoutWorkflow(opts.width, opts.latencyMs) as RunRequest["workflow"],
    });
    const after = await engine.waitForRuns([runId], opts.timeoutMs);
    if (before) costs.push(runCost(before, after));
    before = after;
    const { views } = after;
    const view = views[0];
    if (!view || view.status !== "completed" || view.finishedAt === null) continue;
    completed += 1;
    makespans.push(view.makespanMs);
    children += view.levels.flatMap((l) => l.nodes).filter((n) => n.map?.node === "review").length;
  }
  return {
    width: opts.width,
    latencyMs: opts.latencyMs,
    warmUpRuns,
    warmUpOverheadMs,
    costPerRun: costs,
    runs: opts.runs,
    completed,
    childrenPerRun: completed > 0 ? children / completed : 0,
    criticalPathMs,
    makespanMs: summarize(makespans),
    overheadMs: summarize(makespans.map((m) => m - criticalPathMs)),
  };
}

/** What one fan-out run cost, from the cumulative readings after the run before it and after it. */
function runCost(
  before: Awaited<ReturnType<EngineHarness["waitForRuns"]>>,
  after: Awaited<ReturnType<EngineHarness["waitForRuns"]>>,
): FanoutRunCost {
  const cpu = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round(b - a));
  return {
    deliveries: after.idleStats.qstashDeliveries - before.idleStats.qstashDeliveries,
    redisRequests: after.idleStats.redisRequests - before.idleStats.redisRequests,
    workerdCpuMs: cpu(before.idleCpu.workerd, after.idleCpu.workerd),
  };
}
