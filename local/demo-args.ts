/**
 * Command-line flags of the demo (`npm run demo -- [flags]`), parsed with Node's own `util.parseArgs`.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

/** Default latency of each simulated model call, ms. */
export const DEFAULT_LATENCY_MS = 1000;

/** Default time the demo waits for the run to finish, ms (2 minutes). */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Largest simulated latency, ms: the workflow schema's `simulate.latencyMs` limit (2 h). */
export const MAX_LATENCY_MS = 7_200_000;

/** The demo's settings. */
export interface DemoOptions {
  /** Absolute path of the codebase to review. */
  repo: string;
  /** Latency of each simulated model call, ms (sent as the run's `simulate.latencyMs`). */
  latencyMs: number;
  /** How long to wait for the run to finish before giving up, ms. */
  timeoutMs: number;
  /** Print the final RunView as JSON on stdout (progress then goes to stderr). */
  json: boolean;
  /** Force the local stack's in-memory store instead of a local Redis. */
  memory: boolean;
  /** Show wrangler's and the local stack's own logs (progress is then printed line by line). */
  verbose: boolean;
  /** Print the usage text and exit. */
  help: boolean;
}

/** The usage text printed by `--help` and after a usage error. */
export const DEMO_USAGE = `Usage: npm run demo -- [--repo <path>] [--latency-ms <ms>] [--timeout-ms <ms>] [--json] [--memory] [--verbose]

Runs the review-all workflow on a codebase, on your machine: a local Upstash stack (Redis REST + QStash),
the worker under wrangler, and the simulated model provider. No account, no Docker, no tunnel.

  --repo <path>        codebase to review (default: the current directory)
  --latency-ms <ms>    latency of each simulated model call (default: ${DEFAULT_LATENCY_MS})
  --timeout-ms <ms>    give up when the run takes longer (default: ${DEFAULT_TIMEOUT_MS})
  --json               print the final run view as JSON on stdout (progress goes to stderr)
  --memory             use the embedded in-memory store even when a local Redis is reachable
  --verbose            show wrangler and local-stack logs
  -h, --help           show this help

Exit status: 0 completed, 1 run failed or error, 2 timed out, 64 usage error, 130 interrupted.`;

/** A bad command line; the message says which flag and why. */
export class UsageError extends Error {
  /** @param message what is wrong, e.g. "Expected `--latency-ms` to be an integer in 0..7200000, got \"fast\"". */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses the demo's flags. `--flag value` and `--flag=value` both work.
 * @param argv the arguments after the script name (`process.argv.slice(2)`).
 * @param cwd directory `--repo` resolves against and the default repo (`process.cwd()`).
 * @throws UsageError on an unknown flag, a positional argument, a missing value, or a number out of range
 *   (`--latency-ms` integer 0..7,200,000; `--timeout-ms` integer >= 1).
 */
export function parseDemoArgs(argv: readonly string[], cwd: string): DemoOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        repo: { type: "string" },
        "latency-ms": { type: "string" },
        "timeout-ms": { type: "string" },
        json: { type: "boolean", default: false },
        memory: { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.repo === "") throw new UsageError("Expected `--repo` to be a path, got an empty string");
  return {
    repo: resolve(cwd, values.repo ?? "."),
    latencyMs: integerFlag("--latency-ms", values["latency-ms"], DEFAULT_LATENCY_MS, 0, MAX_LATENCY_MS),
    timeoutMs: integerFlag("--timeout-ms", values["timeout-ms"], DEFAULT_TIMEOUT_MS, 1, Number.MAX_SAFE_INTEGER),
    json: values.json,
    memory: values.memory,
    verbose: values.verbose,
    help: values.help,
  };
}

function integerFlag(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new UsageError(`Expected \`${name}\` to be an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
