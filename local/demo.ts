/**
 * `npm run demo -- [--repo <path>] [--workflow <name|file.json> | --task <text>] [--provider simulated|fake-anthropic]
 * [--latency-ms <ms>] [--budget-usd <usd>] [--budget-tokens <n>] [--on-budget fail|downgrade] [--fake-reply-tokens <n>]
 * [--timeout-ms <ms>] [--twice] [--json] [--memory] [--verbose]`
 *
 * Runs the `review-all` workflow (or the one `--workflow` names) on a real codebase, entirely on this machine: the
 * local stack (Upstash Redis REST + QStash emulator, ephemeral ports), the worker under wrangler
 * (local/local-worker.ts, env `dev`, its Upstash URLs and tokens overridden to point at the stack), and a model
 * provider that calls no real model: the simulated provider, or (`--provider fake-anthropic`) the worker's real
 * Anthropic provider pointed at a local fake of the Anthropic Messages API. Agents are routed automatically into
 * tiers. Shows the run as a live todo list grouped by level (tier, tokens, cost and routing reason per node), then
 * the senior reviewer's synthesis (another workflow: its final outputs), the run's figures (makespan, critical
 * path, makespan / critical path, overhead per hop, tokens, cost, QStash messages and Redis commands) and a cost
 * report: per node provider, tier, model, reason, tokens and cost, the total, a
 * check that the total equals the sum of the nodes (in integer micro-USD), and with the fake, its requests per
 * model against the nodes that called it (nodes the result cache served make no call).
 *
 * With `--task "<text>"` it plans first (`POST /v1/plans`: a bundled workflow whose description fits the task, else a
 * DAG over the bundled agents; the simulated planner is deterministic), prints the plan's preview (plan-lines.ts) and
 * runs the plan unchanged (`POST /v1/runs { plan }`).
 *
 * When a wait node of the run waits for a signal (an approval: workflows/review-changes.json), the demo shows its
 * question and answers it (demo-approval.ts): at once with `--approve` or `--reject`, else y/n on a terminal, else it
 * prints the CLI and curl commands that signal it and keeps waiting.
 *
 * With `--twice` it invalidates the workflow's result-cache entries (so the first run starts cold), runs it, then
 * runs it again with the same input on the same stack and worker, shows the second run the same way, and compares
 * the two (cache-comparison.ts): makespans and their ratio, provider calls (the fake's requests, or the nodes whose
 * cache outcome was `miss`), the second run's hit rate and savings, and the tenant's `GET /v1/cache/stats`.
 *
 * Everything it starts is stopped again on success, failure, timeout and Ctrl-C. Exit status: 0 completed,
 * 1 run failed, cost, request or cache check failed (with `--twice`: the second run made a provider call or hit
 * less than 100 %), or error, 2 timed out, 64 usage error, 130 interrupted.
 */
import "./require-node.js";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { RunClient } from "../shared/client/run-client";
import { RunFollowTimeoutError } from "../shared/client/run-client-error";
import {
  cacheStatsDelta,
  compareCachedRuns,
  comparedRun,
  formatCacheComparison,
  providerCallsFromView,
  sameOutputs,
} from "./cache-comparison";
import { type CodebaseInput, formatBytes, type OmitReason, readCodebase } from "./codebase";
import { buildCostReport, checkRequests, formatCostReport } from "./cost-report";
import { approvalMode, askYesNo, followWithApprovals, signalCommands, type WaitingNode } from "./demo-approval";
import { DEMO_USAGE, type DemoOptions, parseDemoArgs, UsageError } from "./demo-args";
import { startFakeAnthropic } from "./fake-providers/anthropic";
import type { FakeProviderServer } from "./fake-providers/harness";
import { LiveRegion } from "./live-region";
import { startLocalWorker } from "./local-worker.js";
import { type PlanBody, planLines } from "./plan-lines";
import { progressLines } from "./progress-lines";
import { formatDuration, formatUsd, renderRun } from "./render";
import { computeRunFigures, formatFigures, type RunFigures, statsDelta } from "./run-figures";
import type { CacheStatsBody, RunOutput, RunView } from "./run-view";
import { guardShutdown } from "./signals.js";
import { type LocalStack, startLocalStack } from "./stack";
import { workerBindings } from "./worker-bindings.js";

/** Loopback address every server of the demo listens on. */
const HOST = "127.0.0.1";

/** The API key of `[env.dev]` in wrangler.toml (`API_KEYS = "dev:dev-key"`). */
export const DEV_API_KEY = "dev-key";

/** How often the demo polls `GET /v1/runs/:id`, ms. */
export const POLL_INTERVAL_MS = 150;

/** How long the demo waits, after the run ends, for the stack's last callbacks before reading its counters, ms. */
export const IDLE_WAIT_MS = 2_000;

/** The node whose output is the review. */
const SYNTHESIS_NODE = "senior-reviewer";

/**
 * Tier -> model of the `anthropic` provider in the fake-anthropic demo (worker var `TIERS`). Each id has a non-zero
 * price in shared/pricing/prices.ts `DEFAULT_PRICES` (USD per MTok input / output: Haiku 4.5 1 / 5, Sonnet 4.5
 * 3 / 15, Opus 4.5 5 / 25), so the cost report shows real-looking figures.
 */
export const FAKE_ANTHROPIC_TIERS = {
  fast: "claude-haiku-4-5",
  balanced: "claude-sonnet-4-5",
  deep: "claude-opus-4-5",
} as const;

/** The API key the demo gives the worker for the fake (it accepts any non-empty key; no real key is ever used). */
export const FAKE_ANTHROPIC_KEY = "fake-anthropic-key-for-the-local-demo";

/** The header tag of a run on the fake Anthropic endpoint. */
export const FAKE_ANTHROPIC_LABEL = "[fake Anthropic endpoint]";

/**
 * The worker vars that make `anthropic` the default provider and point it at the fake Anthropic Messages API
 * (functions/env.ts): `PROVIDERS`, the `ANTHROPIC_API_KEY` secret it names, `DEFAULT_PROVIDER` and `TIERS`.
 * @param baseUrl the fake's API root including `/v1` (`FakeProviderServer.baseUrl`).
 */
export function fakeAnthropicVars(baseUrl: string): Record<string, string> {
  return {
    PROVIDERS: JSON.stringify({ anthropic: { type: "anthropic", baseUrl, apiKeySecret: "ANTHROPIC_API_KEY" } }),
    ANTHROPIC_API_KEY: FAKE_ANTHROPIC_KEY,
    DEFAULT_PROVIDER: "anthropic",
    TIERS: JSON.stringify({ anthropic: FAKE_ANTHROPIC_TIERS }),
  };
}

/**
 * A fixed fake answer of exactly `tokens` tokens at the fakes' 4 characters per token (shared/providers/simulated.ts
 * `estimateTokens`): a sentence saying what it is, then filler. Long answers make the analyzer's brief, which the
 * five reviewers share as a cacheable prefix, long enough for prompt caching.
 * @param tokens answer length in tokens, >= 1.
 */
export function fakeReplyFiller(tokens: number): string {
  const head = `[FAKE ANTHROPIC] Fixed reply of ${tokens} tokens from the local fake; no model was called. `;
  const chars = tokens * 4;
  return (head + "filler ".repeat(Math.ceil(chars / 7))).slice(0, chars);
}

/** Exit statuses of the demo. */
export const EXIT = { completed: 0, failed: 1, timedOut: 2, usage: 64, interrupted: 130 } as const;

/** Where the demo writes: `out` gets `--json`, the progress goes to `out` (or to `err` with `--json`); `in` (default
 * stdin) answers approvals when it is a TTY. */
export interface DemoIo {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  in?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Most characters of a wait node's question the demo prints (the run view keeps up to 2,000). */
export const QUESTION_SHOWN_CHARS = 600;

/** A non-2xx answer from the worker; `message` carries the problem details' title and detail when present. */
export class ApiError extends Error {
  /** @param status HTTP status; @param message what the worker said. */
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/**
 * Runs the demo once (one run of the workflow, or two with `options.twice`).
 * @param options parsed flags (see demo-args.ts).
 * @param signal aborting it (Ctrl-C) stops the run's polling and everything the demo started.
 * @returns the exit status ({@link EXIT}). Never throws: errors are printed to `io.err` and give status 1.
 */
export async function runDemo(
  options: DemoOptions,
  signal: AbortSignal,
  io: DemoIo = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const human = options.json ? io.err : io.out;
  const tty = Boolean(human.isTTY);
  const color = tty && !process.env.NO_COLOR;
  const say = (line = "") => void human.write(`${line}\n`);
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
  const cleanups: (() => Promise<unknown>)[] = [];

  try {
    const workflow = options.workflow;
    const what = options.task
      ? `plan "${options.task}"`
      : `${workflow.name}${workflow.file ? ` (${workflow.file})` : ""}`;
    say(bold(`agent-dag demo: ${what} on ${options.repo}`));
    const input = await readCodebase(options.repo);
    say(`  codebase     ${describeInput(input)}`);

    const stackStarting = startLocalStack({
      host: HOST,
      redisPort: 0,
      qstashPort: 0,
      ...(options.memory ? { memory: true } : {}),
      ...(options.verbose ? { log: (line: string) => void io.err.write(`[stack] ${line}\n`) } : {}),
    });
    cleanups.push(async () => (await stackStarting).close());
    const stack = await until(stackStarting, signal);
    say(`  local stack  Upstash Redis REST ${stack.redisRestUrl} (${stack.backend}) · QStash ${stack.qstashUrl}`);

    let fake: FakeProviderServer | undefined;
    let providerVars: Record<string, string> = {};
    let providerText = `simulated provider, ${options.latencyMs} ms per call`;
    if (options.provider === "fake-anthropic") {
      const fakeStarting = startFakeAnthropic({ host: HOST, port: 0 });
      cleanups.push(async () => (await fakeStarting).close());
      fake = await until(fakeStarting, signal);
      fake.setBehaviour({
        latencyMs: options.latencyMs,
        ...(options.fakeReplyTokens === null ? {} : { reply: fakeReplyFiller(options.fakeReplyTokens) }),
      });
      providerVars = fakeAnthropicVars(fake.baseUrl);
      providerText = `anthropic provider → fake endpoint, ${options.latencyMs} ms per call`;
      say(`  provider     fake Anthropic Messages API at ${fake.url}, no real model is called`);
      const t = FAKE_ANTHROPIC_TIERS;
      say(`               tiers: fast ${t.fast} · balanced ${t.balanced} · deep ${t.deep}`);
      if (options.fakeReplyTokens !== null)
        say(`               every answer: a fixed text of ${options.fakeReplyTokens} tokens`);
    }
    const label = fake ? FAKE_ANTHROPIC_LABEL : undefined;

    const workerStarting = startLocalWorker({
      bindings: workerBindings(stack, { SIMULATED_LATENCY_MS: String(options.latencyMs), ...providerVars }),
      logLevel: options.verbose ? "log" : "error",
    });
    cleanups.push(async () => (await workerStarting).dispose());
    const worker = await until(workerStarting, signal);
    const base = worker.url;
    say(`  worker       ${base} (wrangler, env dev, ${providerText})`);

    const session: Session = {
      base,
      client: new RunClient({ baseUrl: base, apiKey: DEV_API_KEY }),
      signal,
      stack,
      fake,
      input,
      options,
      label,
      human,
      err: io.err,
      color,
      tty,
      say,
      bold,
      planId: null,
      stdin: io.in ?? process.stdin,
    };
    if (options.task) {
      // plan first (POST /v1/plans), print the preview, then run the plan unchanged
      const plan = await api<PlanBody>(base, "/v1/plans", signal, {
        method: "POST",
        body: JSON.stringify({ task: options.task, input, ...(options.budget ? { budget: options.budget } : {}) }),
      });
      say();
      say(bold("Plan"));
      for (const line of planLines(plan)) say(line);
      say();
      session.planId = plan.id;
    }
    let statsBefore: CacheStatsBody | null = null;
    if (options.twice) {
      // Entries from an earlier demo (the local Redis keeps them for the cache TTL) would make the first run warm.
      await api<unknown>(base, `/v1/cache?workflow=${workflow.name}`, signal, { method: "DELETE" });
      say(
        `  cache        invalidated ${workflow.name}'s result-cache entries (DELETE /v1/cache?workflow=${workflow.name}): the first run starts cold`,
      );
      statsBefore = await api<CacheStatsBody>(base, "/v1/cache/stats", signal);
      say();
      say(bold("First run"));
    }

    const first = await watchRun(session);
    const firstOk = printRun(session, first, true);
    if (!options.twice) {
      if (options.json) io.out.write(`${JSON.stringify(first.view, null, 2)}\n`);
      if (first.timedOut) return EXIT.timedOut;
      return firstOk && first.view.status === "completed" ? EXIT.completed : EXIT.failed;
    }
    if (first.timedOut) return EXIT.timedOut;
    if (first.view.status !== "completed") {
      io.err.write(`\nsecond run skipped: the first run ended ${first.view.status}\n`);
      return EXIT.failed;
    }

    say();
    say(bold("Second run: the same input, on the same stack and worker"));
    const second = await watchRun(session);
    const identical = sameOutputs(first.output, second.output);
    const secondOk = printRun(session, second, false, identical);
    const statsAfter = await api<CacheStatsBody>(base, "/v1/cache/stats", signal);
    const calls = (run: WatchedRun) => run.fakeCalls ?? providerCallsFromView(run.view);
    const callSource = fake
      ? "requests the fake Anthropic endpoint received"
      : "nodes whose cache outcome was miss: each called the simulated provider";
    const comparison = compareCachedRuns(
      comparedRun(first.view, calls(first)),
      comparedRun(second.view, calls(second)),
      callSource,
      identical,
    );
    say();
    say(bold("Result cache: first run vs second run"));
    for (const line of formatCacheComparison(comparison, {
      after: statsAfter,
      delta: cacheStatsDelta(statsBefore, statsAfter),
    }))
      say(line);
    if (options.json) {
      io.out.write(
        `${JSON.stringify({ first: first.view, second: second.view, comparison, cacheStats: statsAfter }, null, 2)}\n`,
      );
    }
    if (second.timedOut) return EXIT.timedOut;
    if (!comparison.ok) io.err.write(`\ncache check failed: ${comparison.problems.join("; ")}\n`);
    return firstOk && secondOk && comparison.ok ? EXIT.completed : EXIT.failed;
  } catch (err) {
    if (signal.aborted) {
      io.err.write("\nInterrupted: stopping the worker and the local stack.\n");
      return EXIT.interrupted;
    }
    io.err.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) =>
        io.err.write(`cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
    }
  }
}

/** What the demo needs to trigger, watch and report runs on its started stack and worker. */
interface Session {
  /** The worker's origin, e.g. `http://127.0.0.1:41234`. */
  base: string;
  /** The worker's run API with the dev key. */
  client: RunClient;
  signal: AbortSignal;
  stack: LocalStack;
  /** The fake Anthropic endpoint, when the demo runs against it. */
  fake: FakeProviderServer | undefined;
  input: CodebaseInput;
  options: DemoOptions;
  /** Header tag of a run on the fake endpoint, else undefined. */
  label: string | undefined;
  /** Where progress and reports go (stdout, or stderr with `--json`). */
  human: NodeJS.WriteStream;
  /** Where failed checks are reported. */
  err: NodeJS.WriteStream;
  color: boolean;
  tty: boolean;
  say: (line?: string) => void;
  bold: (s: string) => string;
  /** With `--task`: the plan the run starts (`POST /v1/runs { plan }`, with the plan's input and budget). */
  planId: string | null;
  /** Where approvals are answered y/n, when it is a TTY. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** One run of the workflow, triggered, watched to its end (or the timeout) and measured. */
interface WatchedRun {
  /** The last view polled. */
  view: RunView;
  timedOut: boolean;
  figures: RunFigures;
  /** The run's outputs; null when it timed out. */
  output: RunOutput | null;
  /** Requests the fake endpoint received during the run; null without the fake. */
  fakeCalls: number | null;
  /** The same per model id; null without the fake. */
  fakeRequestsByModel: Record<string, number> | null;
}

/**
 * Triggers the workflow on the session's input, shows its progress (a live todo list on a TTY, else one line per
 * change and the final list) until it ends or `options.timeoutMs` passes, waits for the stack to go idle, and
 * measures the run: figures with the stack's traffic, outputs, and the fake endpoint's requests over the run.
 * @throws RunClientError when the worker answers non-2xx; the signal's reason when aborted.
 */
async function watchRun(s: Session): Promise<WatchedRun> {
  const { signal, options, say } = s;
  const before = s.stack.stats();
  const callsBefore = s.fake?.calls().length ?? 0;
  const modelsBefore = s.fake?.requestsByModel() ?? {};
  const simulate = s.fake ? {} : { simulate: { latencyMs: options.latencyMs } };
  const accepted = await s.client.start(
    s.planId
      ? { plan: s.planId, ...simulate }
      : {
          workflow: options.workflow.trigger,
          input: s.input,
          ...simulate,
          ...(options.budget ? { budget: options.budget } : {}),
        },
    { signal },
  );
  say(`  run          ${accepted.runId}`);
  if (options.budget) say(`  budget       ${describeBudget(options.budget)}`);
  say();

  const liveRegion = s.tty && !options.verbose ? new LiveRegion(s.human) : undefined;
  let previous: RunView | null = null;
  let view: RunView;
  let timedOut = false;
  const show = (next: RunView) => {
    const now = Date.now();
    if (liveRegion)
      liveRegion.update(renderRun(next, { color: s.color, width: s.human.columns ?? 0, now, providerLabel: s.label }));
    else for (const line of progressLines(previous, next, now, s.label)) say(line);
    previous = next;
  };
  const mode = approvalMode(options.approval, s.tty && Boolean(s.stdin.isTTY));
  const onWaiting = async (node: WaitingNode) => {
    liveRegion?.done();
    answerApproval(s, accepted.runId, node, mode);
    if (mode === "print") return;
    const approved =
      mode === "ask" ? await askYesNo(`  ${node.id}: approve? [y/n] `, s.stdin, s.human, signal) : mode === "approve";
    try {
      await s.client.signal(accepted.runId, node.id, { approved }, { signal });
      say(`  ${node.id}: ${approved ? "approved" : "rejected"}${mode === "ask" ? "" : ` (--${mode})`}`);
    } catch (err) {
      // e.g. 409 node-not-waiting: someone signalled it first, or its timeout passed
      say(`  ${node.id}: the signal was refused (${err instanceof Error ? err.message : String(err)})`);
    }
    say();
  };
  try {
    view = await followWithApprovals(s.client, accepted.runId, {
      intervalMs: POLL_INTERVAL_MS,
      timeoutMs: options.timeoutMs,
      signal,
      onView: show,
      onWaiting,
    });
  } catch (err) {
    if (!(err instanceof RunFollowTimeoutError)) throw err;
    view = err.view;
    timedOut = true;
  } finally {
    liveRegion?.done();
  }
  if (!liveRegion) {
    say();
    say(renderRun(view, { color: s.color, width: 0, now: Date.now(), providerLabel: s.label }));
  }

  // Let the last callbacks land before reading the counters, so the run's traffic is complete.
  if (!timedOut) await until(Promise.race([s.stack.idle(), sleep(IDLE_WAIT_MS)]), signal);
  const figures = computeRunFigures(view, statsDelta(before, s.stack.stats()));
  const output = timedOut ? null : await s.client.output(view.runId, { signal });
  return {
    view,
    timedOut,
    figures,
    output,
    fakeCalls: s.fake ? s.fake.calls().length - callsBefore : null,
    fakeRequestsByModel: s.fake ? countsDelta(modelsBefore, s.fake.requestsByModel()) : null,
  };
}

/**
 * Shows a waiting node's question (cut to {@link QUESTION_SHOWN_CHARS}); in mode `print`, also the commands that
 * answer it from another shell.
 */
function answerApproval(s: Session, runId: string, node: WaitingNode, mode: ReturnType<typeof approvalMode>): void {
  const { say, bold } = s;
  const q =
    node.question.length > QUESTION_SHOWN_CHARS ? `${node.question.slice(0, QUESTION_SHOWN_CHARS)}…` : node.question;
  say();
  say(bold(`Approval: ${node.id} waits for a signal${node.deadline ? ` (until ${node.deadline})` : ""}`));
  for (const line of q.split("\n")) say(`  │ ${line}`);
  if (mode !== "print") return;
  say("  Answer it from another shell (or run the demo again with --approve or --reject):");
  for (const line of signalCommands(s.base, DEV_API_KEY, runId, node.id)) say(`    ${line}`);
  say(`  The demo keeps waiting (at most --timeout-ms, ${formatDuration(s.options.timeoutMs)}).`);
  say();
}

/**
 * Prints a watched run's synthesis (or, for a repeat, whether its outputs equal the first run's), its figures and
 * its cost report, and reports a failed cost or request check on `s.err`.
 * @param showSynthesis print the synthesis text; otherwise one line from `identical` ({@link sameOutputs}).
 * @returns whether the cost check (and, with the fake, the request check) passed.
 */
function printRun(s: Session, run: WatchedRun, showSynthesis: boolean, identical: boolean | null = null): boolean {
  const { say, bold } = s;
  const view = run.view;
  if (run.timedOut) {
    say();
    say(`Timed out after ${formatDuration(s.options.timeoutMs)}: run ${view.runId} is still ${view.status}.`);
  } else if (run.output) {
    say();
    const note = view.simulated
      ? "  [SIMULATED provider: no model was called]"
      : s.fake
        ? `  ${FAKE_ANTHROPIC_LABEL}: no real model was called`
        : "";
    if (showSynthesis) {
      say(bold(`${outputHeading(run.output)}${note}`));
      say(synthesisText(run.output, view));
    } else {
      const same =
        identical === null
          ? "not compared (an output is missing)"
          : identical
            ? "identical to the first run's"
            : "DIFFERENT from the first run's";
      say(`${bold(outputHeading(run.output))}: ${same}`);
    }
  }
  say();
  say(bold("Figures"));
  for (const line of formatFigures(run.figures)) say(line);

  const report = buildCostReport(view);
  const requests = run.fakeRequestsByModel ? checkRequests(view, run.fakeRequestsByModel) : null;
  say();
  say(
    bold(
      `Cost report${s.fake ? " (fake Anthropic endpoint, prices from shared/pricing/prices.ts)" : " (simulated provider: every model is free)"}`,
    ),
  );
  for (const line of formatCostReport(report, requests, "fake Anthropic requests")) say(line);
  if (run.timedOut) return true;
  if (!report.totalsMatch)
    s.err.write(`\ncost check failed (${view.runId}): the run's total is not the sum of its nodes' costs\n`);
  if (requests && !requests.ok) {
    s.err.write(
      `\nrequest check failed (${view.runId}): the fake provider did not receive exactly one request per node that called it\n`,
    );
  }
  return report.totalsMatch && (requests === null || requests.ok);
}

/**
 * Per-key growth of a counter map between two reads (after - before), keeping only keys that grew.
 * @param before counts read earlier, e.g. a fake's `requestsByModel()`.
 * @param after the same counts read later.
 */
export function countsDelta(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(after)) {
    const grew = n - (before[key] ?? 0);
    if (grew !== 0) out[key] = grew;
  }
  return out;
}

/**
 * The run budget in one line, e.g. `"$0.0500 · 20000 tokens · on budget: downgrade"`.
 * @param budget the trigger's budget.
 */
export function describeBudget(budget: NonNullable<DemoOptions["budget"]>): string {
  const parts = [
    budget.usd === undefined ? "" : formatUsd(budget.usd),
    budget.tokens === undefined ? "" : `${budget.tokens} tokens`,
  ];
  return [...parts.filter((p) => p !== ""), `on budget: ${budget.onBudget}`].join(" · ");
}

/**
 * One line about the codebase input, e.g.
 * `"agent-dag: 68 of 131 files, 256 KiB of the 256 KiB budget; omitted: 62 over budget, 1 lock file"`.
 */
export function describeInput(input: CodebaseInput): string {
  const s = input.stats;
  const labels: Record<OmitReason, string> = {
    "over-budget": "over budget",
    "too-large": "too large",
    binary: "binary",
    "lock-file": "lock file",
    secret: "may hold secrets",
    gitignored: ".gitignore",
    symlink: "symlink",
    unreadable: "unreadable",
    "scan-limit": "beyond scan limit",
  };
  const reasons = (Object.entries(s.omittedByReason) as [OmitReason, number][])
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${labels[reason]}`);
  const omitted = reasons.length > 0 ? `; omitted: ${reasons.join(", ")}` : "";
  return `${input.repo}: ${s.filesIncluded} of ${s.filesSeen} files, ${formatBytes(s.filesTextBytes)} of the ${formatBytes(s.maxTotalBytes)} budget${omitted}`;
}

/** Heading of the output shown: `Synthesis (senior-reviewer)` for review-all, else `Output (<sink ids>)`. */
function outputHeading(output: RunOutput | null): string {
  if (!output || typeof output.outputs[SYNTHESIS_NODE] === "string") return `Synthesis (${SYNTHESIS_NODE})`;
  return `Output (${Object.keys(output.outputs).join(", ")})`;
}

/**
 * The text to show as the review: the senior reviewer's output, else every sink's output under its id, else a
 * note saying why there is none (e.g. the run failed before the synthesis).
 */
export function synthesisText(output: RunOutput, view: RunView): string {
  const synthesis = output.outputs[SYNTHESIS_NODE];
  if (typeof synthesis === "string") return synthesis;
  const others = Object.entries(output.outputs).filter((e): e is [string, string] => typeof e[1] === "string");
  if (others.length > 0) return others.map(([id, text]) => `## ${id}\n${text}`).join("\n\n");
  const failed = view.levels.flatMap((l) => l.nodes).filter((n) => n.status === "failed");
  const why =
    failed.length > 0 ? `: ${failed.map((n) => `${n.id} failed${n.error ? ` (${n.error})` : ""}`).join("; ")}` : "";
  return `(no output: the run ended ${view.status}${why})`;
}

async function api<T>(base: string, path: string, signal: AbortSignal, init: RequestInit = {}): Promise<T> {
  const res = await fetch(new URL(path, base), {
    ...init,
    signal,
    headers: { authorization: `Bearer ${DEV_API_KEY}`, "content-type": "application/json", ...init.headers },
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 500);
    try {
      const problem = JSON.parse(text) as { title?: string; detail?: string };
      message = [problem.title, problem.detail].filter(Boolean).join(": ") || message;
    } catch {
      // not JSON: keep the raw text
    }
    throw new ApiError(res.status, `${init.method ?? "GET"} ${path} answered ${res.status}: ${message}`);
  }
  return JSON.parse(text) as T;
}

/** Resolves like `promise`, or rejects with the signal's reason as soon as it aborts. */
function until<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

async function main(): Promise<void> {
  let options: DemoOptions;
  try {
    options = parseDemoArgs(process.argv.slice(2), process.cwd());
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${DEMO_USAGE}\n`);
    process.exit(EXIT.usage);
  }
  if (options.help) {
    process.stdout.write(`${DEMO_USAGE}\n`);
    return;
  }
  const controller = new AbortController();
  // the first Ctrl-C aborts the run and cleans up; only a second one pressed later gives up on the cleanup
  guardShutdown(
    (name) => controller.abort(new Error(`received ${name}`)),
    () => process.exit(EXIT.interrupted),
  );
  const code = await runDemo(options, controller.signal);
  // wrangler can leave handles (file watchers, sockets) behind after dispose(): exit explicitly.
  process.exit(code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(EXIT.failed);
  });
}
