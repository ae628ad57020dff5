/**
 * The demo's `--twice` report: the same workflow run twice on the same input, the second run served by the result
 * cache. Compares the two runs' makespans and provider calls, gives the second run's hit rate and savings and the
 * tenant's cache stats (`GET /v1/cache/stats`), and says whether the second run met the bar: no provider call and a
 * 100 % hit rate. Pure: everything comes from the run views, the provider-call counts and the stats bodies.
 */
import { microUsdToUsd } from "../shared/budget/units";
import { formatCacheCounts, formatCacheLine, formatDuration, formatPercent, formatTokens, formatUsd } from "./render";
import type { CacheStatsBody, RunOutput, RunView } from "./run-view";

/** One run as the comparison sees it. Durations in ms. */
export interface ComparedRun {
  runId: string;
  status: string;
  /** Wall time from run start to end, ms; null when the run has not finished. */
  makespanMs: number | null;
  /** Provider calls the run made (see {@link CacheComparison.callSource}). */
  providerCalls: number;
  /** The run's own result-cache counters (`RunView.cache`). */
  cache: RunView["cache"];
}

/** The comparison of a first (cold) run with a second run of the same input. */
export interface CacheComparison {
  first: ComparedRun;
  second: ComparedRun;
  /** second makespan / first makespan; null when either is unknown or the first is 0 ms. */
  makespanRatio: number | null;
  /** Where the provider-call counts come from, e.g. `"requests the fake Anthropic endpoint received"`. */
  callSource: string;
  /** Whether both runs returned the same outputs; null when not compared (an output is missing). */
  outputsIdentical: boolean | null;
  /** Why the second run misses the bar (a provider call, a hit rate below 100 %, not completed); empty when ok. */
  problems: string[];
  /** True when {@link CacheComparison.problems} is empty. */
  ok: boolean;
}

/**
 * Provider calls a run made according to its view: the nodes whose cache outcome is `miss` (they called the
 * provider and wrote the entry), plus done nodes without a cache outcome (cache off for the node: it called too).
 * Nodes served as `hit` or `shared` made no call. Failed attempts are not counted (the view keeps no trace of them).
 * @param view the final body of `GET /v1/runs/:id`.
 */
export function providerCallsFromView(view: RunView): number {
  let calls = 0;
  for (const level of view.levels) {
    for (const n of level.nodes) if (n.cache === "miss" || (n.cache === null && n.status === "done")) calls += 1;
  }
  return calls;
}

/**
 * One run's side of the comparison.
 * @param view the run's final view.
 * @param providerCalls its provider calls: counted at the provider (a fake's requests) or {@link providerCallsFromView}.
 */
export function comparedRun(view: RunView, providerCalls: number): ComparedRun {
  const makespanMs = view.finishedAt !== null && Number.isFinite(view.makespanMs) ? view.makespanMs : null;
  return { runId: view.runId, status: view.status, makespanMs, providerCalls, cache: view.cache };
}

/**
 * Whether two runs' outputs are the same: the same sink ids, each with the same text.
 * @returns null when either output is missing or a sink's text could not be read back.
 */
export function sameOutputs(a: RunOutput | null, b: RunOutput | null): boolean | null {
  if (!a || !b) return null;
  const ids = [...new Set([...Object.keys(a.outputs), ...Object.keys(b.outputs)])];
  if (ids.some((id) => a.outputs[id] === null || b.outputs[id] === null)) return null;
  return ids.every((id) => a.outputs[id] === b.outputs[id]);
}

/**
 * Compares the two runs and checks the second: it must have completed, made no provider call, and served every
 * lookup from the cache (hit rate exactly 1; null, i.e. no lookup at all, fails too).
 * @param first the first (cold) run.
 * @param second the repeat with the same input.
 * @param callSource where the provider-call counts come from, for the report.
 * @param outputsIdentical from {@link sameOutputs}; reported, not checked.
 */
export function compareCachedRuns(
  first: ComparedRun,
  second: ComparedRun,
  callSource: string,
  outputsIdentical: boolean | null,
): CacheComparison {
  const problems: string[] = [];
  if (second.status !== "completed") problems.push(`the second run ended ${second.status}`);
  if (second.providerCalls > 0) {
    problems.push(
      `the second run made ${second.providerCalls} provider ${second.providerCalls === 1 ? "call" : "calls"}`,
    );
  }
  const rate = second.cache.hitRate;
  if (rate === null) problems.push("the second run looked nothing up in the cache");
  else if (rate < 1) problems.push(`the second run's hit rate is ${formatPercent(rate)}, not 100%`);
  const makespanRatio =
    first.makespanMs !== null && second.makespanMs !== null && first.makespanMs > 0
      ? second.makespanMs / first.makespanMs
      : null;
  return { first, second, makespanRatio, callSource, outputsIdentical, problems, ok: problems.length === 0 };
}

/** Cache counters over a span of time (e.g. the two demo runs): tokens in tokens, money in integer micro-USD and USD. */
export interface CacheCountsDelta {
  hits: number;
  shared: number;
  misses: number;
  savedTokens: number;
  savedMicroUsd: number;
  savedUsd: number;
}

/**
 * What the tenant's counters grew by between two reads of `GET /v1/cache/stats` (after - before, exact in
 * micro-USD); with no earlier read, the later totals.
 * @param before the stats read before the first run, or null.
 * @param after the stats read after the second run.
 */
export function cacheStatsDelta(before: CacheStatsBody | null, after: CacheStatsBody): CacheCountsDelta {
  const d = (pick: (s: CacheStatsBody) => number) => pick(after) - (before ? pick(before) : 0);
  const savedMicroUsd = d((s) => s.savedMicroUsd);
  return {
    hits: d((s) => s.hits),
    shared: d((s) => s.shared),
    misses: d((s) => s.misses),
    savedTokens: d((s) => s.savedTokens),
    savedMicroUsd,
    savedUsd: microUsdToUsd(savedMicroUsd),
  };
}

/**
 * The comparison as aligned lines for people (same layout as the run figures), e.g.
 * ```
 *   makespan                 first 3.52 s · second 0.21 s · second / first 0.060 (16.8× shorter)
 *   provider calls           first 7 · second 0  (nodes whose cache outcome was miss)
 *   second run               cache 7 hits · 0 shared · 0 misses (100%) · saved 72.4k tok / $0.3666
 *   check                    second run: 0 provider calls, hit rate 100%  ✔
 * ```
 * with, between them, the first run's cache line, hit rate and savings, whether outputs match, and the tenant's
 * cache stats (`GET /v1/cache/stats`) per workflow and for these two runs.
 * @param c from {@link compareCachedRuns}.
 * @param stats the tenant's stats after the second run and what they grew by over both runs, or null to leave out.
 */
export function formatCacheComparison(
  c: CacheComparison,
  stats: { after: CacheStatsBody; delta: CacheCountsDelta } | null,
): string[] {
  const row = (label: string, value: string) => `  ${label.padEnd(25)}${value}`;
  const ms = (v: number | null) => (v === null ? "unfinished" : formatDuration(v));
  const ratio =
    c.makespanRatio === null
      ? "n/a"
      : `${c.makespanRatio.toFixed(3)}${c.makespanRatio > 0 ? ` (${(1 / c.makespanRatio).toFixed(1)}× shorter)` : ""}`;
  const rate = c.second.cache.hitRate;
  const identical =
    c.outputsIdentical === null
      ? "not compared"
      : c.outputsIdentical
        ? "identical in both runs"
        : "differ between the runs";
  const lines = [
    row("makespan", `first ${ms(c.first.makespanMs)} · second ${ms(c.second.makespanMs)} · second / first ${ratio}`),
    row("provider calls", `first ${c.first.providerCalls} · second ${c.second.providerCalls}  (${c.callSource})`),
    row(`first run`, `${c.first.runId}  ${formatCacheLine(c.first.cache) ?? "no cache lookup"}`),
    row(`second run`, `${c.second.runId}  ${formatCacheLine(c.second.cache) ?? "no cache lookup"}`),
    row("hit rate (second run)", rate === null ? "n/a" : formatPercent(rate)),
    row(
      "saved (second run)",
      `${c.second.cache.savedTokens} tokens (${formatTokens(c.second.cache.savedTokens)}) · ${formatUsd(c.second.cache.savedUsd, 6)}`,
    ),
    row("outputs", identical),
  ];
  if (stats) {
    lines.push(
      row(
        "tenant cache stats",
        `${formatCacheCounts(stats.after)}  (GET /v1/cache/stats, tenant ${stats.after.tenant})`,
      ),
    );
    for (const [name, counts] of Object.entries(stats.after.byWorkflow).sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(row(`  ${name}`, formatCacheCounts(counts)));
    }
    lines.push(row("  these two runs", formatCacheCounts(stats.delta)));
  }
  const verdict = c.ok
    ? `second run: ${c.second.providerCalls} provider calls, hit rate ${rate === null ? "n/a" : formatPercent(rate)}  ✔`
    : `✖ ${c.problems.join("; ")}`;
  lines.push(row("check", verdict));
  return lines;
}
