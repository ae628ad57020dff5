/**
 * The figures the demo prints after a run: makespan against the critical path, the scheduling overhead per hop,
 * tokens, cost, and the QStash and Redis traffic the run caused (from the local stack's counters).
 */
import { cacheParts, formatDuration, formatTokens, formatUsd } from "./render";
import type { RunView } from "./run-view";
import type { StackStats } from "./stats";

/** What one run cost and how close it came to its critical path. Durations in ms, tokens in tokens. */
export interface RunFigures {
  /** Wall time from run start to end, ms; null if the run has not finished. */
  makespanMs: number | null;
  /** Sum of measured node durations along the critical path, ms. */
  criticalPathMs: number;
  /** The critical path's node ids, first to last. */
  criticalPath: string[];
  /** makespan / critical path; null when either is unknown or the critical path is 0 ms. */
  ratio: number | null;
  /** Dispatch hops on the critical path: one per node (publish, delivery, execution, callback). */
  hops: number;
  /** (makespan - critical path) / hops, ms; null when unknown. See {@link perHopOverheadMs}. */
  perHopOverheadMs: number | null;
  inputTokens: number;
  outputTokens: number;
  /** Prompt-cache reads and writes, tokens (billed apart from `inputTokens`). */
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** The run's cost as the worker reports it (`totals.costUsd`), USD. */
  costUsd: number;
  /** Local stack counters over the run (after - before); null when not measured. */
  traffic: StackStats | null;
}

/**
 * The scheduling overhead per hop: the part of the makespan not spent inside nodes on the critical path, spread
 * over the hops of that path. Every node on the path costs one hop (QStash publish, delivery to the worker,
 * execution, callback, and the state change that publishes the next node), so `hops` is the path's node count.
 * It is an estimate: it also absorbs the time from `POST /v1/runs` to the first publish and clock jitter.
 * @param makespanMs run wall time, ms.
 * @param criticalPathMs summed node durations along the critical path, ms.
 * @param hops hops on the critical path (its node count).
 * @returns ms per hop (may be negative when clocks disagree), or null when `makespanMs` is null or `hops` < 1.
 */
export function perHopOverheadMs(makespanMs: number | null, criticalPathMs: number, hops: number): number | null {
  if (makespanMs === null || !Number.isFinite(makespanMs) || hops < 1) return null;
  return (makespanMs - criticalPathMs) / hops;
}

/**
 * Counter differences `after - before` for every field of the local stack's stats.
 * @param before stats read just before the run started.
 * @param after stats read once the run ended and the stack was idle.
 */
export function statsDelta(before: StackStats, after: StackStats): StackStats {
  const out = { ...after };
  for (const key of Object.keys(after) as (keyof StackStats)[]) out[key] = after[key] - (before[key] ?? 0);
  return out;
}

/**
 * Computes the figures of a finished (or unfinished) run.
 * @param view the final `GET /v1/runs/:id` body.
 * @param traffic the stack counters over the run ({@link statsDelta}), or null.
 */
export function computeRunFigures(view: RunView, traffic: StackStats | null): RunFigures {
  const finished = view.finishedAt !== null;
  const makespanMs = finished && typeof view.makespanMs === "number" ? view.makespanMs : null;
  const criticalPathMs = view.criticalPath.durationMs;
  const hops = view.criticalPath.nodes.length;
  const ratio =
    view.makespanOverCriticalPath ?? (makespanMs !== null && criticalPathMs > 0 ? makespanMs / criticalPathMs : null);
  return {
    makespanMs,
    criticalPathMs,
    criticalPath: [...view.criticalPath.nodes],
    ratio,
    hops,
    perHopOverheadMs: perHopOverheadMs(makespanMs, criticalPathMs, hops),
    inputTokens: view.totals.inputTokens,
    outputTokens: view.totals.outputTokens,
    cacheReadTokens: view.totals.cacheReadTokens,
    cacheWriteTokens: view.totals.cacheWriteTokens,
    costUsd: view.totals.costUsd,
    traffic,
  };
}

/**
 * Formats the figures as aligned lines for people, e.g.
 * `"  makespan / critical path   1.06"` and `"  overhead per hop          40 ms  (3 hops)"`; the cost in whole
 * micro-dollars (`"  cost                     $0.012345"`).
 */
export function formatFigures(f: RunFigures): string[] {
  const row = (label: string, value: string) => `  ${label.padEnd(25)}${value}`;
  const ms = (v: number) => `${Math.round(v)} ms`;
  const lines = [
    row("makespan", f.makespanMs === null ? "unfinished" : formatDuration(f.makespanMs)),
    row("critical path", `${formatDuration(f.criticalPathMs)}  ${f.criticalPath.join(" → ") || "(none)"}`),
    row("makespan / critical path", f.ratio === null ? "n/a" : f.ratio.toFixed(2)),
    row(
      "overhead per hop",
      f.perHopOverheadMs === null
        ? "n/a"
        : `${ms(f.perHopOverheadMs)}  ((makespan − critical path) / ${f.hops} ${f.hops === 1 ? "hop" : "hops"})`,
    ),
    row(
      "tokens",
      [`${formatTokens(f.inputTokens)} in / ${formatTokens(f.outputTokens)} out`, ...cacheParts(f)].join(" · "),
    ),
    row("cost", formatUsd(f.costUsd, 6)),
  ];
  const t = f.traffic;
  if (t) {
    const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
    lines.push(
      row(
        "QStash",
        [
          n(t.qstashMessagesPublished, "message published", "messages published"),
          n(t.qstashDeliveries, "delivery", "deliveries"),
          n(t.qstashCallbacks, "callback", "callbacks"),
          n(t.qstashFailureCallbacks, "failure callback", "failure callbacks"),
          n(t.qstashDeadLetters, "dead letter", "dead letters"),
        ].join(" · "),
      ),
      row(
        "Redis",
        `${n(t.redisCommands, "command", "commands")} in ${n(t.redisRequests, "HTTP request", "HTTP requests")}`,
      ),
    );
  }
  return lines;
}
