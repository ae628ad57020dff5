/**
 * Pure view-model helpers of the dashboard's pages (no DOM): routes, which run actions apply, the timeline's bars,
 * budget shares, the critical path's edges. Times are ms since the epoch or ms offsets; costs USD.
 */
import type { RunViewBody } from "../../shared/client/run-api.js";
import { isTerminalStatus } from "../../shared/client/run-api.js";

/** One node of a run view. */
export type ViewNode = RunViewBody["levels"][number]["nodes"][number];

/** A page of the dashboard, from the URL's hash. */
export type Route = { page: "runs" } | { page: "run"; runId: string };

/**
 * The page a location hash names: `#/runs/<runId>` is a run page; anything else (``, `#/`, `#/runs`) is the runs
 * list. The run id is percent-decoded.
 */
export function parseRoute(hash: string): Route {
  const m = /^#\/runs\/([^/?#]+)/.exec(hash);
  if (!m) return { page: "runs" };
  try {
    return { page: "run", runId: decodeURIComponent(m[1] as string) };
  } catch {
    return { page: "runs" };
  }
}

/** The hash of a run's page. */
export function runHref(runId: string): string {
  return `#/runs/${encodeURIComponent(runId)}`;
}

/** Which buttons a run's status allows: Cancel while it runs; Retry and Rerun-from-here once it ended. */
export function runActions(status: string): { cancel: boolean; retry: boolean; rerun: boolean } {
  const ended = isTerminalStatus(status);
  return { cancel: !ended, retry: status === "failed" || status === "cancelled", rerun: ended };
}

/** Every node of a view by id, with its level. */
export function nodeIndex(view: Pick<RunViewBody, "levels">): Map<string, { node: ViewNode; level: number }> {
  const out = new Map<string, { node: ViewNode; level: number }>();
  for (const l of view.levels) for (const node of l.nodes) out.set(node.id, { node, level: l.level });
  return out;
}

/** One bar of the timeline: offsets from the run's start, ms; `end` is `now` for a node still running. */
export interface TimelineBar {
  id: string;
  level: number;
  status: string;
  startMs: number;
  endMs: number;
}

/**
 * The timeline: a bar per node that started, ordered by start (then level, then id), and the span to draw, ms
 * (at least 1). A running node's bar ends at `now`; a node without a valid start has no bar.
 * @param now current time, ms since the epoch.
 */
export function timelineBars(
  view: Pick<RunViewBody, "levels" | "startedAt" | "finishedAt">,
  now: number,
): { bars: TimelineBar[]; spanMs: number } {
  const origin = Date.parse(view.startedAt);
  const bars: TimelineBar[] = [];
  for (const l of view.levels) {
    for (const n of l.nodes) {
      const start = n.startedAt ? Date.parse(n.startedAt) : Number.NaN;
      if (Number.isNaN(start) || Number.isNaN(origin)) continue;
      const finish = n.finishedAt ? Date.parse(n.finishedAt) : Number.NaN;
      const end = Number.isNaN(finish) ? now : finish;
      bars.push({
        id: n.id,
        level: l.level,
        status: n.status,
        startMs: Math.max(0, start - origin),
        endMs: Math.max(0, end - origin),
      });
    }
  }
  bars.sort((a, b) => a.startMs - b.startMs || a.level - b.level || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const runEnd = view.finishedAt ? Date.parse(view.finishedAt) - origin : now - origin;
  const spanMs = Math.max(1, Number.isNaN(runEnd) ? 0 : runEnd, ...bars.map((b) => b.endMs));
  return { bars, spanMs };
}

/**
 * The run budget's use as fractions of its limits (0..1, may exceed 1 on an overrun): used + reserved tokens and
 * USD over the limits; null for a limit that is not set, both null without a budget.
 */
export function budgetShares(view: Pick<RunViewBody, "budgetUsage">): { tokens: number | null; usd: number | null } {
  const u = view.budgetUsage;
  if (!u) return { tokens: null, usd: null };
  const tokens = u.limitTokens ? (u.usedTokens + u.reservedTokens) / u.limitTokens : null;
  const usd = u.limitUsd ? (u.usedUsd + u.reservedUsd) / u.limitUsd : null;
  return { tokens, usd };
}

/** The `from→to` keys of consecutive critical-path nodes, mapped to the items drawing them (self-loops dropped). */
export function criticalEdgeKeys(path: readonly string[], itemOf: ReadonlyMap<string, string>): Set<string> {
  const keys = new Set<string>();
  for (let i = 1; i < path.length; i++) {
    const from = itemOf.get(path[i - 1] as string);
    const to = itemOf.get(path[i] as string);
    if (from && to && from !== to) keys.add(`${from}→${to}`);
  }
  return keys;
}
