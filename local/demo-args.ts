/**
 * Command-line flags of the demo (`npm run demo -- [flags]`), parsed with Node's own `util.parseArgs`.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { MAX_BUDGET_TOKENS, MAX_BUDGET_USD } from "../shared/budget/budget-spec";
import { ON_BUDGET, type OnBudget } from "../shared/budget/reserve-with-policy";
import { MAX_TASK_CHARS } from "../shared/schema/plan-request";
import { WORKFLOW_NAME_RE } from "../shared/schema/workflow";

/** Default latency of each simulated model call, ms. */
export const DEFAULT_LATENCY_MS = 1000;

/** Default time the demo waits for the run to finish, ms (2 minutes). */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Largest simulated latency, ms: the workflow schema's `simulate.latencyMs` limit (2 h). */
export const MAX_LATENCY_MS = 7_200_000;

/**
 * Model providers the demo can run against: `simulated` (the worker's built-in simulated provider, no HTTP) or
 * `fake-anthropic` (a local fake of the Anthropic Messages API, local/fake-providers/anthropic.ts, reached through
 * the real Anthropic provider of the worker).
 */
export const DEMO_PROVIDERS = ["simulated", "fake-anthropic"] as const;

/** One of {@link DEMO_PROVIDERS}. */
export type DemoProvider = (typeof DEMO_PROVIDERS)[number];

/** A run budget as the trigger body carries it (shared/budget/budget-spec.ts `runBudgetSchema`). */
export interface DemoBudget {
  /** Limit in US dollars. */
  usd?: number;
  /** Limit in tokens (input + output). */
  tokens?: number;
  /** What happens when a call would exceed the budget: fail it, or retry one tier down. */
  onBudget: OnBudget;
}

/** The bundled workflow the demo runs without `--workflow` (workflows/review-all.json). */
export const DEFAULT_WORKFLOW = "review-all";

/**
 * The workflow a demo run starts: `name` (shown, and the cache scope `--twice` invalidates), `trigger` (the
 * `workflow` of `POST /v1/runs`: the bundled name, or the definition read from a file) and `file` (the absolute
 * path it was read from, or null for a bundled one).
 */
export interface DemoWorkflow {
  name: string;
  trigger: string | Record<string, unknown>;
  file: string | null;
}

/** Longest `--task`, characters: the limit of `POST /v1/plans` (shared/schema/plan-request.ts). */
export { MAX_TASK_CHARS } from "../shared/schema/plan-request";

/** Largest `--fake-reply-tokens` (ours: 100k tokens, 400 KB of filler text per answer). */
export const MAX_FAKE_REPLY_TOKENS = 100_000;

/** The demo's settings. */
export interface DemoOptions {
  /** Absolute path of the codebase to review (the run's input, whatever the workflow). */
  repo: string;
  /** The workflow to run (default: bundled {@link DEFAULT_WORKFLOW}); unused with `task`. */
  workflow: DemoWorkflow;
  /** A task to plan (`POST /v1/plans`) and then run as planned, instead of `workflow`; null: run `workflow`. */
  task: string | null;
  /** Latency of each model call, ms: the run's `simulate.latencyMs`, or the fake provider's answer delay. */
  latencyMs: number;
  /** The model provider to run against. */
  provider: DemoProvider;
  /** The run's budget (sent as the trigger's `budget`), or null for none. */
  budget: DemoBudget | null;
  /** With `fake-anthropic`: length of every fake answer in tokens (a fixed filler text), or null for the fake's
   * short echo of the prompt. */
  fakeReplyTokens: number | null;
  /** How long to wait for the run to finish before giving up, ms (each run, with `twice`), not counting the time
   * spent answering an approval on the terminal. */
  timeoutMs: number;
  /** How to answer a wait node's approval (local/demo-approval.ts): `approve` (`--approve`) or `reject`
   * (`--reject`) at once; null: ask y/n on a terminal, else print how to signal it and keep waiting. */
  approval: "approve" | "reject" | null;
  /** Run the workflow a second time with the same input on the same stack and worker, and compare the two runs:
   * the second should be served entirely by the result cache. The first starts cold (the demo invalidates the
   * tenant's cache entries of that workflow before it). */
  twice: boolean;
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
export const DEMO_USAGE = `Usage: npm run demo -- [--repo <path>] [--workflow <name|file.json> | --task <text>] [--latency-ms <ms>]
                      [--provider simulated|fake-anthropic] [--fake-reply-tokens <n>] [--budget-usd <usd>]
                      [--budget-tokens <n>] [--on-budget fail|downgrade] [--timeout-ms <ms>] [--twice] [--json]
                      [--approve | --reject] [--memory] [--verbose]

Runs a workflow (review-all by default) on a codebase, on your machine: a local Upstash stack (Redis REST + QStash),
the worker under wrangler, and a model provider that calls no real model. No account, no Docker, no tunnel.
Agents are routed to tiers (fast / balanced / deep); the report shows each node's tier, reason, tokens and cost.

  --repo <path>        codebase to review (default: the current directory); the run's input, as fields
                       repo, tree, files and omitted
  --workflow <w>       the workflow to run: a bundled one by name (workflows/*.json: review-all, the default,
                       hello, three nodes, or review-changes, per-file reviews with an approval), or a
                       definition in a JSON file (a path ending in .json)
  --task <text>        plan the task instead (POST /v1/plans: a bundled workflow whose description fits, else a
                       DAG over the bundled agents), print the plan's preview (nodes, tiers, levels, worst-case
                       cost against the budget), then run the plan; the simulated provider plans
                       deterministically, without a model. Not with --workflow or --twice
  --provider <name>    simulated: the worker's simulated provider (default; models sim-fast/balanced/deep)
                       fake-anthropic: a local fake of the Anthropic Messages API, called by the worker's
                       real Anthropic provider (models claude-haiku-4-5 / claude-sonnet-4-5 / claude-opus-4-5,
                       priced from the built-in price table)
  --latency-ms <ms>    latency of each model call (default: ${DEFAULT_LATENCY_MS})
  --budget-usd <usd>   run budget in US dollars, e.g. 0.05
  --budget-tokens <n>  run budget in tokens (input + output)
  --on-budget <what>   fail (default) or downgrade: retry a call that would exceed the budget one tier down
  --fake-reply-tokens <n>
                       fake-anthropic only: every fake answer is a fixed text of n tokens instead of a short
                       echo; 1024 or more makes the analyzer's brief long enough for the reviewers to share it
                       through prompt caching (Anthropic caches prefixes of at least 1024 tokens)
  --timeout-ms <ms>    give up when the run takes longer (default: ${DEFAULT_TIMEOUT_MS}), not counting the time
                       spent answering an approval
  --approve, --reject  answer every approval (a waiting wait node) at once. Without them the demo asks y/n
                       on a terminal; off a terminal it prints the CLI and curl commands that answer it and
                       keeps waiting
  --twice              run the workflow a second time with the same input on the same stack and worker, and
                       compare: makespans, provider calls, hit rate, tokens and USD saved, the tenant's cache
                       stats. The first run starts cold (the demo first invalidates the workflow's cache entries);
                       the second must make no provider call and hit the result cache 100%, else exit status 1
  --json               print the final run view as JSON on stdout (progress goes to stderr); with --twice,
                       { first, second, comparison, cacheStats }
  --memory             use the embedded in-memory store even when a local Redis is reachable
  --verbose            show wrangler and local-stack logs
  -h, --help           show this help

Exit status: 0 completed, 1 run failed, cost, request or cache check failed, or error, 2 timed out, 64 usage
error, 130 interrupted.`;

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
 * @param cwd directory `--repo` and `--workflow <file.json>` resolve against, and the default repo (`process.cwd()`).
 * @param readFile reads a `--workflow` file (default: `fs.readFileSync` as UTF-8).
 * @throws UsageError on an unknown flag, an empty `--task` (or one over MAX_TASK_CHARS, or with `--workflow` or
 *   `--twice`), a `--workflow` that is neither a workflow name nor a readable JSON file
 *   whose `name` is a workflow name, a positional argument, a missing value, a number out of range
 *   (`--latency-ms` integer 0..7,200,000; `--timeout-ms` integer >= 1; `--budget-usd` decimal 0..1,000,000;
 *   `--budget-tokens` integer 0..1e12, the limits of shared/budget/budget-spec.ts; `--fake-reply-tokens` integer
 *   1..100,000), an unknown `--provider` or `--on-budget`, `--on-budget` without a budget,
 *   `--fake-reply-tokens` without `--provider fake-anthropic`, or `--approve` with `--reject`.
 */
export function parseDemoArgs(
  argv: readonly string[],
  cwd: string,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
): DemoOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        repo: { type: "string" },
        workflow: { type: "string" },
        task: { type: "string" },
        "latency-ms": { type: "string" },
        provider: { type: "string" },
        "budget-usd": { type: "string" },
        "budget-tokens": { type: "string" },
        "on-budget": { type: "string" },
        "fake-reply-tokens": { type: "string" },
        "timeout-ms": { type: "string" },
        twice: { type: "boolean", default: false },
        approve: { type: "boolean", default: false },
        reject: { type: "boolean", default: false },
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
  const provider = choiceFlag("--provider", values.provider, DEMO_PROVIDERS, "simulated");
  const replyRaw = values["fake-reply-tokens"];
  if (replyRaw !== undefined && provider !== "fake-anthropic") {
    throw new UsageError("`--fake-reply-tokens` needs `--provider fake-anthropic`");
  }
  const task = taskFlag(values.task, values.workflow, values.twice);
  if (values.approve && values.reject) throw new UsageError("`--approve` and `--reject` cannot be combined");
  return {
    repo: resolve(cwd, values.repo ?? "."),
    workflow: workflowFlag(values.workflow, cwd, readFile),
    task,
    latencyMs: integerFlag("--latency-ms", values["latency-ms"], DEFAULT_LATENCY_MS, 0, MAX_LATENCY_MS),
    provider,
    budget: budgetFlags(values["budget-usd"], values["budget-tokens"], values["on-budget"]),
    fakeReplyTokens:
      replyRaw === undefined ? null : integerFlag("--fake-reply-tokens", replyRaw, 0, 1, MAX_FAKE_REPLY_TOKENS),
    timeoutMs: integerFlag("--timeout-ms", values["timeout-ms"], DEFAULT_TIMEOUT_MS, 1, Number.MAX_SAFE_INTEGER),
    approval: values.approve ? "approve" : values.reject ? "reject" : null,
    twice: values.twice,
    json: values.json,
    memory: values.memory,
    verbose: values.verbose,
    help: values.help,
  };
}

function taskFlag(raw: string | undefined, workflow: string | undefined, twice: boolean): string | null {
  if (raw === undefined) return null;
  const task = raw.trim();
  if (task === "") throw new UsageError("Expected `--task` to be a task in words, got an empty string");
  if (task.length > MAX_TASK_CHARS) {
    throw new UsageError(`Expected \`--task\` to be at most ${MAX_TASK_CHARS} characters, got ${task.length}`);
  }
  if (workflow !== undefined) throw new UsageError("`--task` plans the workflow: leave out `--workflow`");
  if (twice) throw new UsageError("`--task` and `--twice` cannot be combined");
  return task;
}

function workflowFlag(raw: string | undefined, cwd: string, readFile: (path: string) => string): DemoWorkflow {
  const value = raw ?? DEFAULT_WORKFLOW;
  if (!value.endsWith(".json")) {
    if (WORKFLOW_NAME_RE.test(value)) return { name: value, trigger: value, file: null };
    throw new UsageError(
      "Expected `--workflow` to be a workflow name (lowercase letters, digits, dashes) or a .json file, " +
        `got ${JSON.stringify(value)}`,
    );
  }
  const file = resolve(cwd, value);
  let definition: unknown;
  try {
    definition = JSON.parse(readFile(file));
  } catch (err) {
    throw new UsageError(`Cannot read \`--workflow\` ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const name =
    definition !== null && typeof definition === "object" && !Array.isArray(definition)
      ? (definition as { name?: unknown }).name
      : undefined;
  if (typeof name !== "string" || !WORKFLOW_NAME_RE.test(name)) {
    throw new UsageError(`Expected \`--workflow\` ${file} to hold a workflow definition with a \`name\``);
  }
  return { name, trigger: definition as Record<string, unknown>, file };
}

function choiceFlag<T extends string>(name: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`Expected \`${name}\` to be one of ${choices.join(", ")}, got ${JSON.stringify(raw)}`);
}

function budgetFlags(
  usdRaw: string | undefined,
  tokensRaw: string | undefined,
  onRaw: string | undefined,
): DemoBudget | null {
  if (usdRaw === undefined && tokensRaw === undefined) {
    if (onRaw !== undefined)
      throw new UsageError("`--on-budget` needs a budget: add `--budget-usd` or `--budget-tokens`");
    return null;
  }
  const budget: DemoBudget = { onBudget: choiceFlag("--on-budget", onRaw, ON_BUDGET, "fail") };
  if (usdRaw !== undefined) {
    const usd = /^\d+(\.\d+)?$/.test(usdRaw.trim()) ? Number(usdRaw.trim()) : Number.NaN;
    if (!Number.isFinite(usd) || usd > MAX_BUDGET_USD) {
      throw new UsageError(
        `Expected \`--budget-usd\` to be a number in 0..${MAX_BUDGET_USD}, got ${JSON.stringify(usdRaw)}`,
      );
    }
    budget.usd = usd;
  }
  if (tokensRaw !== undefined) budget.tokens = integerFlag("--budget-tokens", tokensRaw, 0, 0, MAX_BUDGET_TOKENS);
  return budget;
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
