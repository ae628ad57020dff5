/**
 * `npm run bench -- [--quick] [options]` (flags: args.ts)
 *
 * Measures makespan against the critical path on review-all and the nine real DAGs of bench/workloads, in
 * every scheduling mode (eager, levels, sequential) through the full local stack (worker in workerd, QStash
 * emulator, Upstash Redis REST over the real Redis), beside LangGraph.js running the same DAG in-process; then
 * eager with concurrency limits against the greedy list schedule, a load test of concurrent review-all runs, and
 * the cost per node with small and large outputs. Prints the tables and writes bench/results/<stamp>.{json,svg,md};
 * a plain full run also writes latest.* and the generated tables of docs/performance.md.
 *
 * Exit status: 0 every run completed; 1 a run failed, timed out or errored, or the load test lost something; 3 with
 * `--strict` when a "done means" claim does not hold; 64 usage error; 130 interrupted.
 */
import "../require-node.js";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { guardShutdown } from "../signals.js";
import { BENCH_USAGE, type BenchOptions, DEFAULT_OUT_DIR, parseBenchArgs, UsageError } from "./args.js";
import { checkClaims } from "./claims.js";
import { cpuShare, readCpuTimes } from "./cpu-time.js";
import { type EngineHarness, startEngine } from "./engine-harness.js";
import { emptyFigures, measureEngineRun } from "./engine-run.js";
import { measureEventLog } from "./event-log.js";
import { runLoadTest } from "./load-test.js";
import { gitRevision, machineFacts, packageVersions } from "./machine.js";
import { FANOUT_CRITICAL_CALLS, FANOUT_WARM_UP_RUNS, measureMapFanout } from "./map-fanout.js";
import { runMessageSizes } from "./message-size.js";
import { measurePeerRun } from "./peer-run.js";
import { isFullRun, type PlannedRun, type PreparedWorkload, planRuns, prepareWorkload } from "./plan.js";
import { describeCpuPerNode } from "./process-cpu.js";
import { countedSamples, medianRun, wantsAnotherSample } from "./repeats.js";
import { rerenderReport, writeDocTables, writeReport } from "./report.js";
import {
  type BenchResults,
  type EventLogResult,
  type LoadResult,
  type MapFanoutResult,
  type MessageSizeResult,
  RESULTS_SCHEMA_VERSION,
  type RunResult,
} from "./results.js";
import { concurrencyTable, costTable, makespanTable, overheadTable, renderText } from "./table.js";
import { type RunMode, UNLIMITED_CONCURRENCY, workloadWorkflow } from "./workflow.js";
import { REAL_WORKLOAD_STEMS, readWorkload, reviewAllWorkload, shortName, type Workload } from "./workloads.js";

/** Critical path of the warm-up runs, ms. */
const WARM_UP_CRITICAL_PATH_MS = 1000;

/** Simulated latency of every call in the dynamic fan-out (issue #18: "1 s simulated calls"), ms. */
const FANOUT_LATENCY_MS = 1000;

/** Exit statuses of the benchmark. */
export const EXIT = { ok: 0, runFailed: 1, claimFailed: 3, usage: 64, interrupted: 130 } as const;

/** Extra time a run may take beyond 3 × its reference schedule before it counts as timed out, ms. */
const TIMEOUT_SLACK_MS = 30_000;

/** Loads a workload by short name (`review-all` or the first word of a real workload's file stem). */
export function loadWorkload(name: string): Workload {
  if (name === "review-all") return reviewAllWorkload();
  const stem = REAL_WORKLOAD_STEMS.find((s) => shortName(s) === name);
  if (!stem) throw new UsageError(`unknown workload "${name}"`);
  return readWorkload(stem);
}

/** Runs the whole benchmark once. @returns the exit status. */
export async function runBench(
  options: BenchOptions,
  argv: readonly string[],
  say: (line?: string) => void,
  onEngine: (engine: EngineHarness | undefined) => void = () => undefined,
): Promise<number> {
  const t0 = Date.now();
  const s = options.settings;
  const machineStart = machineFacts();
  // the code measured is the tree at the start: edits made while the benchmark runs do not make it dirty
  const git = gitRevision();
  const cpuStart = readCpuTimes();
  const fmt = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  say(
    `agent-dag bench${s.quick ? " --quick" : ""}: ${machineStart.cpus} CPUs (${machineStart.cpuModel}), ${Math.round(machineStart.memoryBytes / 2 ** 30)} GiB, ${machineStart.os}, Node ${machineStart.node}, load ${machineStart.loadAverage.join(" ")}`,
  );
  say(
    `  critical paths scaled to ${s.criticalPathTargetMs} ms; runs over ${s.runBudgetMs / 1000} s are not run; "unlimited" concurrency = ${UNLIMITED_CONCURRENCY}`,
  );

  const prepared: PreparedWorkload[] = s.workloads.map((name) =>
    prepareWorkload(loadWorkload(name), s.criticalPathTargetMs, s.concurrencyLimits),
  );
  say();
  say("workload       nodes  levels  recorded CP s  scale ms/s   CP ms  barrier/CP  total work ms");
  for (const p of prepared) {
    const w = p.summary;
    say(
      `${w.name.padEnd(13)} ${String(w.nodes).padStart(6)}  ${String(w.levels).padStart(6)}  ${w.recordedCriticalPathS.toFixed(1).padStart(13)}  ${w.scaleMsPerSecond.toPrecision(4).padStart(10)}  ${String(Math.round(w.criticalPathMs)).padStart(6)}  ${w.barrierOverCriticalPath.toFixed(2).padStart(10)}  ${String(Math.round(w.totalWorkMs)).padStart(13)}`,
    );
  }

  say();
  say("starting the local stack and the worker (workerd)…");
  const engine = await startEngine({
    verbose: options.verbose,
    viaProxy: s.viaProxy,
    localObservability: s.localObservability,
    log: (line) => process.stderr.write(`[stack] ${line}\n`),
  });
  onEngine(engine);
  const runs: RunResult[] = [];
  let load: LoadResult | null = null;
  let messageSize: MessageSizeResult[] = [];
  let eventLog: EventLogResult | null = null;
  let mapFanout: MapFanoutResult | null = null;
  try {
    say(
      `  worker ${engine.url}${s.viaProxy ? " (wrangler's proxy worker)" : ""}${s.localObservability ? " (with wrangler's local observability collector)" : ""} · Redis REST ${engine.stack.redisRestUrl} (${engine.stack.backend}${engine.redisServer ? ` ${engine.redisServer}` : ""}) · QStash ${engine.stack.qstashUrl} · key prefix ${engine.prefix}`,
    );
    say(
      `  warm-up: ${await warmUp(engine)} (not measured: the first run of a fresh worker also pays for compiling its code)`,
    );
    for (const p of prepared) {
      say();
      say(`${p.summary.name} (${p.summary.nodes} nodes, critical path ${Math.round(p.summary.criticalPathMs)} ms)`);
      for (const plan of planRuns(p, s)) {
        const r = await executePlanned(engine, p, plan, s.repeats, s.nodesPerDelivery);
        runs.push(r);
        say(`  ${describe(r, fmt)}`);
      }
    }
    if (s.loadRuns > 0) {
      say();
      say(`load: ${s.loadRuns} review-all runs at once, ${s.loadLatencyMs} ms per call…`);
      const reviewAll =
        prepared.find((p) => p.workload.name === "review-all") ??
        prepareWorkload(reviewAllWorkload(), s.criticalPathTargetMs, []);
      const bundled = reviewAll.workload.definition;
      // review-all's tasks last 1 "second" each, so a scale of N ms per second is N ms per call.
      const workflow = workloadWorkflow(reviewAll.workload, {
        scaleMsPerSecond: s.loadLatencyMs,
        concurrency: typeof bundled?.["concurrency"] === "number" ? bundled["concurrency"] : UNLIMITED_CONCURRENCY,
        name: "bench-review-all-load",
        nodesPerDelivery: s.nodesPerDelivery,
      });
      load = await runLoadTest(engine, {
        workflow,
        runs: s.loadRuns,
        latencyMs: s.loadLatencyMs,
        dependencies: reviewAll.dag.dependencies,
        timeoutMs: s.loadLatencyMs * 3 * s.loadRuns + 60_000,
      });
      say(
        `  ${load.completed}/${load.runs} completed, ${load.failed} failed, ${load.unfinished} unfinished · ${load.nodesDone}/${load.nodesExpected} nodes in ${fmt(load.wallMs)} = ${load.nodeCompletionsPerSecond.toFixed(1)} node completions/s · hop p50 ${Math.round(load.hop.dependent.p50 ?? 0)} ms p95 ${Math.round(load.hop.dependent.p95 ?? 0)} ms · makespan p50 ${fmt(load.makespan.p50 ?? 0)} p95 ${fmt(load.makespan.p95 ?? 0)}${load.cpuMsPerNode ? ` · ${describeCpuPerNode(load.cpuMsPerNode)}` : ""}`,
      );
    }
    if (s.messageSizes.length > 0) {
      say();
      say(`message size: review-all with every output padded to ${s.messageSizes.join(" / ")} bytes…`);
      const reviewAll =
        prepared.find((p) => p.workload.name === "review-all") ??
        prepareWorkload(reviewAllWorkload(), s.criticalPathTargetMs, []);
      messageSize = await runMessageSizes(
        engine,
        reviewAll,
        s.messageSizes,
        reviewAll.summary.criticalPathMs * 3 + TIMEOUT_SLACK_MS,
      );
      for (const m of messageSize) {
        const p = m.perNode;
        say(
          `  ${String(m.outputBytes).padStart(8)} B outputs: ${m.outcome} · publish ${Math.round(p?.publishBytesPerMessage ?? 0)} B/message · delivery ${Math.round(p?.deliveryBytesPerDelivery ?? 0)} B/delivery · Redis ${Math.round(p?.redisRequestBytes ?? 0)} request B/node · ${p?.redisCommands?.toFixed(1)} commands/node`,
        );
      }
    }
    if (s.fanoutWidth > 0) {
      say();
      say(
        `dynamic fan-out: root → map(${s.fanoutWidth}) → join, ${FANOUT_LATENCY_MS} ms per call, ${FANOUT_WARM_UP_RUNS} warm-up run(s) not measured, then ${s.fanoutRuns} run(s)…`,
      );
      mapFanout = await measureMapFanout(engine, {
        width: s.fanoutWidth,
        latencyMs: FANOUT_LATENCY_MS,
        runs: s.fanoutRuns,
        timeoutMs: FANOUT_CRITICAL_CALLS * FANOUT_LATENCY_MS * 10 + TIMEOUT_SLACK_MS,
      });
      say(
        `  ${mapFanout.completed}/${mapFanout.runs} completed, ${mapFanout.childrenPerRun} children per run · makespan p50 ${fmt(mapFanout.makespanMs.p50 ?? 0)} · overhead p50 ${Math.round(mapFanout.overheadMs.p50 ?? 0)} ms max ${Math.round(mapFanout.overheadMs.max ?? 0)} ms${(mapFanout.costPerRun ?? []).map((c) => ` · ${c.deliveries} deliveries, ${c.redisRequests} Redis requests, workerd ${c.workerdCpuMs ?? "n/a"} ms CPU`).join("")}`,
      );
    }
    say();
    say("event log: 40-node runs watched over server-sent events…");
    eventLog = await measureEventLog(engine, {
      runs: s.quick ? 3 : 10,
      latencyMs: 100,
      redisUrl: engine.stack.backend === "redis" ? (process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379") : null,
    });
    say(`  ${describeEventLog(eventLog)}`);
  } finally {
    await engine.close();
    onEngine(undefined);
  }

  const workloads = prepared.map((p) => p.summary);
  const claims = checkClaims({ workloads, runs, load, messageSize, eventLog, mapFanout });
  const results: BenchResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    date: new Date(t0).toISOString(),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
    argv: [...argv],
    quick: s.quick,
    durationMs: Date.now() - t0,
    machine: {
      cpus: machineStart.cpus,
      cpuModel: machineStart.cpuModel,
      memoryBytes: machineStart.memoryBytes,
      os: machineStart.os,
      arch: machineStart.arch,
      node: machineStart.node,
      loadAverageStart: machineStart.loadAverage,
      loadAverageEnd: machineFacts().loadAverage,
      cpu: cpuShare(cpuStart, readCpuTimes()),
    },
    versions: packageVersions(),
    git,
    stack: { backend: engine.stack.backend, redisServer: engine.redisServer },
    settings: {
      criticalPathTargetMs: s.criticalPathTargetMs,
      runBudgetMs: s.runBudgetMs,
      unlimitedConcurrency: UNLIMITED_CONCURRENCY,
      concurrencyLimits: s.concurrencyLimits,
      loadRuns: s.loadRuns,
      loadLatencyMs: s.loadLatencyMs,
      messageSizes: s.messageSizes,
      workloads: s.workloads,
      repeats: s.repeats,
      viaProxy: s.viaProxy,
      localObservability: s.localObservability,
    },
    workloads,
    runs,
    load,
    messageSize,
    eventLog,
    mapFanout,
    claims,
  };

  say();
  for (const table of [makespanTable(results), overheadTable(results), concurrencyTable(results), costTable(results)]) {
    say(renderText(table));
    say();
  }
  say("Done means:");
  for (const c of claims)
    say(`  [${c.holds === null ? "not measured" : c.holds ? "holds" : "DOES NOT HOLD"}] ${c.claim}\n      ${c.detail}`);
  const stamp = `${results.date.slice(0, 19).replace("T", "-").replace(/:/g, "")}${s.quick ? "-quick" : ""}`;
  const written = writeReport(results, options.outDir, stamp, isFullRun(s));
  // docs/performance.md quotes latest.json: a full run into the project's own results refreshes its tables
  if (isFullRun(s) && resolve(options.outDir) === DEFAULT_OUT_DIR) {
    try {
      written.push(writeDocTables(results));
    } catch (err) {
      // the results are written: say what went wrong and how to redo only this step
      say(
        `docs/performance.md not updated (${(err as Error).message}); fix it, then: npm run bench -- --render bench/results/latest.json`,
      );
    }
  }
  say();
  say(`wrote ${written.join(", ")} (${fmt(results.durationMs)})`);

  const runFailed =
    runs.some((r) => r.outcome !== "completed" && r.outcome !== "not-run") ||
    (load !== null && (load.completed !== load.runs || load.nodesDone !== load.nodesExpected)) ||
    messageSize.some((m) => m.outcome !== "completed") ||
    (mapFanout !== null && mapFanout.completed !== mapFanout.runs);
  if (runFailed) return EXIT.runFailed;
  if (options.strict && claims.some((c) => c.holds === false)) return EXIT.claimFailed;
  return EXIT.ok;
}

async function executePlanned(
  engine: EngineHarness,
  p: PreparedWorkload,
  plan: PlannedRun,
  repeats: number,
  nodesPerDelivery: number | undefined,
): Promise<RunResult> {
  const base = {
    scenario: plan.scenario,
    workload: plan.workload,
    executor: plan.executor,
    mode: plan.mode,
    concurrency: plan.concurrency,
    nodes: p.summary.nodes,
    criticalPathMs: p.summary.criticalPathMs,
    expectedMs: plan.expectedMs,
  };
  if (plan.skip !== undefined) return { ...base, ...emptyFigures(), outcome: "not-run", reason: plan.skip };
  const measured: RunResult[] = [];
  do {
    const cpuBefore = readCpuTimes();
    const result = await measurePlanned(engine, p, plan, nodesPerDelivery);
    measured.push({ ...result, cpu: cpuShare(cpuBefore, readCpuTimes()) });
  } while (plan.repeatable && wantsAnotherSample(measured, repeats));
  return medianRun(measured);
}

async function measurePlanned(
  engine: EngineHarness,
  p: PreparedWorkload,
  plan: PlannedRun,
  nodesPerDelivery: number | undefined,
): Promise<RunResult> {
  if (plan.executor === "langgraph") return measurePeerRun(plan.workload, p.dag, plan.expectedMs, plan.concurrency);
  const mode = plan.mode as RunMode;
  const workflow = workloadWorkflow(p.workload, {
    scaleMsPerSecond: p.scaleMsPerSecond,
    mode,
    concurrency: plan.concurrency,
    name: `bench-${p.workload.name}-${mode}`,
    nodesPerDelivery,
  });
  return measureEngineRun(engine, {
    scenario: plan.scenario,
    workload: plan.workload,
    workflow,
    dag: p.dag,
    expectedMs: plan.expectedMs,
    timeoutMs: plan.expectedMs * 3 + TIMEOUT_SLACK_MS,
  });
}

function describe(r: RunResult, fmt: (ms: number) => string): string {
  const who = `${r.executor === "langgraph" ? "langgraph" : r.mode} c=${r.concurrency}`.padEnd(22);
  if (r.outcome === "not-run") return `${who} ${r.reason ?? "not run"}`;
  if (r.makespanMs === null) return `${who} ${r.outcome}${r.reason ? `: ${r.reason}` : ""}`;
  const hop = r.hop?.dependent;
  const parts = [
    `${who} ${r.outcome.padEnd(9)} makespan ${fmt(r.makespanMs).padStart(8)}`,
    ` /CP ${r.ratio?.toFixed(3)}`,
    ` /expected ${r.overExpected?.toFixed(3)} (${fmt(r.expectedMs)})`,
    ` hop p50 ${Math.round(hop?.p50 ?? 0)} p95 ${Math.round(hop?.p95 ?? 0)} max ${Math.round(hop?.max ?? 0)} ms`,
  ];
  if (r.inNodeOverhead?.p50 != null) parts.push(`in-node p50 ${Math.round(r.inNodeOverhead.p50)} ms`);
  if (r.perNode)
    parts.push(
      ` ${r.perNode.qstashMessages?.toFixed(2)} msg/node ${r.perNode.redisCommands?.toFixed(1)} redis cmd/node`,
    );
  if (r.cpu) parts.push(` cpu busy ${r.cpu.busyPct}% steal ${r.cpu.stealPct}%`);
  if (r.cpuMsPerNode) parts.push(` ${describeCpuPerNode(r.cpuMsPerNode)}`);
  if (r.samples) {
    const each = r.samples.map(
      (x) =>
        `${x.makespanMs === null ? "–" : fmt(x.makespanMs)}${x.counted ? "" : ` (steal ${x.stealPct}%, not counted)`}`,
    );
    parts.push(` median of ${countedSamples(r).length}: ${each.join(" / ")}`);
  }
  return parts.join(" ");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${BENCH_USAGE}\n`);
    process.exit(EXIT.usage);
  }
  if (options.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return;
  }
  if (options.render) {
    process.stdout.write(`wrote ${rerenderReport(options.render).join(", ")}\n`);
    return;
  }
  let active: EngineHarness | undefined;
  // the first Ctrl-C stops the worker and the stack and deletes the bench's keys; a second one pressed later quits
  guardShutdown(
    () => {
      process.stderr.write(
        "\ninterrupted: stopping the worker and the stack, deleting the bench's keys (Ctrl-C again to quit at once)\n",
      );
      const closing = active ? active.close() : Promise.resolve();
      void closing.catch(() => undefined).finally(() => process.exit(EXIT.interrupted));
    },
    () => process.exit(EXIT.interrupted),
  );
  const code = await runBench(
    options,
    argv,
    (line = "") => void process.stdout.write(`${line}\n`),
    (e) => (active = e),
  );
  // wrangler can leave handles behind after dispose(): exit explicitly.
  process.exit(code);
}

/**
 * Review-all and viralrecon at 1 s critical paths, run once each and thrown away (a fresh worker's first run also
 * compiles its code). @returns what ran, for the log.
 */
export async function warmUp(engine: EngineHarness): Promise<string> {
  const done: string[] = [];
  for (const workload of [reviewAllWorkload(), loadWorkload("viralrecon")]) {
    const p = prepareWorkload(workload, WARM_UP_CRITICAL_PATH_MS, []);
    const runId = await engine.startRun({
      workflow: workloadWorkflow(workload, { scaleMsPerSecond: p.scaleMsPerSecond, name: "bench-warm-up" }),
      input: {},
    });
    const { views } = await engine.waitForRuns([runId], 60_000);
    done.push(`${workload.name} ${views[0]?.status ?? "unknown"}`);
  }
  return done.join(", ");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(EXIT.runFailed);
  });
}

/** One line of the event log's figures. */
function describeEventLog(e: EventLogResult): string {
  const mem = e.memoryBytesPerNode === null ? "" : ` · ${Math.round(e.memoryBytesPerNode)} B of Redis memory/node`;
  return (
    `${e.runs} runs, ${e.nodes} nodes, ${e.events} events in ${e.connections} SSE responses · transition -> SSE ` +
    `delay p50 ${Math.round(e.delayMs.p50 ?? 0)} ms p95 ${Math.round(e.delayMs.p95 ?? 0)} ms (n=${e.delayMs.count}) · ` +
    `${e.eventsPerNode.toFixed(2)} XADD/node inside the transition scripts (0 added requests) · ` +
    `${Math.round(e.payloadBytesPerNode)} payload B/node${mem}`
  );
}
