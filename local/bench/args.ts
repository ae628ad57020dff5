/**
 * Command-line flags of `npm run bench` (local/bench/cli.ts) and how they become {@link BenchSettings}.
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { MAX_MAP_ITEMS } from "../../shared/schema/node-kinds.js";
import { MAX_NODES_PER_DELIVERY } from "../../shared/schema/workflow.js";
import { PROJECT_ROOT } from "../project-root.js";
import { ALL_WORKLOADS, type BenchSettings, FULL_SETTINGS, QUICK_SETTINGS, REPEAT_MAX_EXPECTED_MS } from "./plan.js";
import { UNLIMITED_CONCURRENCY } from "./workflow.js";

/** Where results go by default: `bench/results/` in the project (whatever the current directory). */
export const DEFAULT_OUT_DIR = join(PROJECT_ROOT, "bench", "results");

/** Usage text printed by `--help` and after a usage error. */
export const BENCH_USAGE = `usage: npm run bench -- [options]

  --quick                 a subset in under two minutes: ${QUICK_SETTINGS.workloads.join(", ")}; 2 s critical paths
  --workloads a,b,…       workloads to run (${ALL_WORKLOADS.join(", ")})
  --cp-ms <ms>            scale every workload so its critical path lasts this long (full ${FULL_SETTINGS.criticalPathTargetMs}, quick ${QUICK_SETTINGS.criticalPathTargetMs})
  --budget-s <s>          skip sequential / concurrency-limited runs longer than this (full ${FULL_SETTINGS.runBudgetMs / 1000}, quick ${QUICK_SETTINGS.runBudgetMs / 1000})
  --concurrency 4,16      concurrency limits compared with the list schedule ("" = none)
  --load-runs <n>         review-all runs started at once in the load test (0 = skip; default ${FULL_SETTINGS.loadRuns})
  --load-latency-ms <ms>  simulated latency per call in the load test (full ${FULL_SETTINGS.loadLatencyMs}, quick ${QUICK_SETTINGS.loadLatencyMs})
  --fanout <n>            children of the 1 → map(n) → 1 dynamic fan-out, 1 s calls (0 = skip; default ${FULL_SETTINGS.fanoutWidth})
  --repeats <n>           measure each eager run whose reference schedule is ≤ ${REPEAT_MAX_EXPECTED_MS / 1000} s n times, report the median (full ${FULL_SETTINGS.repeats}, quick ${QUICK_SETTINGS.repeats})
  --via-proxy             send every request through wrangler's proxy worker (as \`wrangler dev\` does), for comparison
  --local-observability   keep wrangler's local observability collector on the worker (as \`wrangler dev\` does), for comparison
  --nodes-per-delivery <n> agent-dag makespan, concurrency and load runs set nodesPerDelivery (1 = no chains; default: the engine's)
  --no-peer               skip the LangGraph.js peer
  --no-message-size       skip the 1 KiB vs 1 MiB output experiment
  --out <dir>             where results go (default bench/results in the project)
  --strict                exit 3 when a "done means" claim does not hold
  --render <results.json> run nothing: re-check the claims of a results file and rewrite its .json/.md/.svg
  --verbose               show wrangler and local-stack logs
  --help                  this text`;

/** A bad flag or value; the CLI prints it with {@link BENCH_USAGE} and exits 64. */
export class UsageError extends Error {
  /** @param message what was wrong. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parsed command line: the settings plus the CLI's own switches. */
export interface BenchOptions {
  settings: BenchSettings;
  outDir: string;
  strict: boolean;
  verbose: boolean;
  help: boolean;
  /** `--render`: the results file to re-render instead of running (null = run the benchmark). */
  render: string | null;
}

/**
 * Parses the flags.
 * @param argv arguments after the script (process.argv.slice(2)).
 * @throws UsageError for an unknown flag, an unknown workload, a value that is not a positive number, or a
 *   `--nodes-per-delivery` outside 1..64.
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: "boolean" },
        workloads: { type: "string" },
        "cp-ms": { type: "string" },
        "budget-s": { type: "string" },
        concurrency: { type: "string" },
        "load-runs": { type: "string" },
        "load-latency-ms": { type: "string" },
        repeats: { type: "string" },
        fanout: { type: "string" },
        "via-proxy": { type: "boolean" },
        "local-observability": { type: "boolean" },
        "nodes-per-delivery": { type: "string" },
        "no-peer": { type: "boolean" },
        "no-message-size": { type: "boolean" },
        out: { type: "string" },
        strict: { type: "boolean" },
        render: { type: "string" },
        verbose: { type: "boolean" },
        help: { type: "boolean" },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const base = values.quick ? QUICK_SETTINGS : FULL_SETTINGS;
  const settings: BenchSettings = {
    ...base,
    workloads: [...base.workloads],
    concurrencyLimits: [...base.concurrencyLimits],
    messageSizes: [...base.messageSizes],
  };
  if (values.workloads !== undefined) {
    const names = values.workloads
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !(ALL_WORKLOADS as readonly string[]).includes(n));
    if (unknown.length > 0)
      throw new UsageError(`unknown workload(s): ${unknown.join(", ")} (known: ${ALL_WORKLOADS.join(", ")})`);
    if (names.length === 0) throw new UsageError("--workloads needs at least one name");
    settings.workloads = names;
  }
  if (values["cp-ms"] !== undefined) settings.criticalPathTargetMs = positive("--cp-ms", values["cp-ms"]);
  if (values["budget-s"] !== undefined) settings.runBudgetMs = positive("--budget-s", values["budget-s"]) * 1000;
  if (values.concurrency !== undefined) {
    settings.concurrencyLimits = values.concurrency
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => integerFlag("--concurrency", s, 1, UNLIMITED_CONCURRENCY));
  }
  if (values["load-runs"] !== undefined)
    settings.loadRuns = integerFlag("--load-runs", values["load-runs"], 0, Number.MAX_SAFE_INTEGER);
  if (values["load-latency-ms"] !== undefined)
    settings.loadLatencyMs = positive("--load-latency-ms", values["load-latency-ms"]);
  if (values.fanout !== undefined) settings.fanoutWidth = integerFlag("--fanout", values.fanout, 0, MAX_MAP_ITEMS);
  if (values.repeats !== undefined) settings.repeats = integerFlag("--repeats", values.repeats, 1, MAX_REPEATS);
  if (values["nodes-per-delivery"] !== undefined) {
    settings.nodesPerDelivery = integerFlag(
      "--nodes-per-delivery",
      values["nodes-per-delivery"],
      1,
      MAX_NODES_PER_DELIVERY,
    );
  }
  if (values["no-peer"]) settings.peer = false;
  if (values["via-proxy"]) settings.viaProxy = true;
  if (values["local-observability"]) settings.localObservability = true;
  if (values["no-message-size"]) settings.messageSizes = [];
  return {
    settings,
    outDir: values.out ?? DEFAULT_OUT_DIR,
    strict: Boolean(values.strict),
    verbose: Boolean(values.verbose),
    help: Boolean(values.help),
    render: values.render ?? null,
  };
}

/** Most measurements `--repeats` may ask for per eager run. */
const MAX_REPEATS = 15;

function integerFlag(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw.trim());
  if (!(Number.isInteger(n) && n >= min && n <= max)) {
    throw new UsageError(
      `${flag} must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? "" : max}, got "${raw}"`,
    );
  }
  return n;
}

function positive(flag: string, raw: string): number {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`${flag} must be a number > 0, got "${raw}"`);
  return n;
}
