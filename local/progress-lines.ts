/**
 * Progress for a pipe or a log file: one plain line per change (a node's status, the run's status) instead of a
 * redrawn screen. Pure: the caller keeps the previous view.
 */
import {
  cacheMarker,
  cacheParts,
  formatCacheLine,
  formatDuration,
  formatTokens,
  formatUsd,
  providerTag,
  STATUS_ICONS,
  withoutCacheSuffix,
} from "./render";
import { isFinal, type NodeView, type RunView } from "./run-view";

/**
 * Lines describing what changed from `prev` to `next`, in level order, e.g.
 * `"[  1.02 s] ✔ codebase-analyzer  done  level 1  1.01 s  812 tok  $0.0040  balanced: feeds 5 nodes"` (tokens
 * input + output, cost in USD, then the routing summary `<tier>: <reason>`); a node the result cache served says
 * `cache hit` or `cache shared` after its cost (see `cacheMarker`). With no previous view every node that is not
 * `pending` is reported, and the run's start is announced with its provider tag (see `providerTag`). When the run
 * is first seen final after looking anything up in the result cache, a last line gives the run's cache figures
 * (`formatCacheLine`), e.g. `"[  0.61 s] cache 7 hits · 0 shared · 0 misses (100%) · saved 72.4k tok / $0.3666"`.
 * @param prev the view printed last time, or null for the first one.
 * @param next the newly polled view.
 * @param now current time, ms since the epoch; the bracketed stamp is `now - next.startedAt`.
 * @param providerLabel header tag for a non-simulated run, e.g. `"[fake Anthropic endpoint]"`.
 */
export function progressLines(prev: RunView | null, next: RunView, now: number, providerLabel?: string): string[] {
  const start = Date.parse(next.startedAt);
  const stamp = `[${formatDuration(Number.isNaN(start) ? 0 : now - start).padStart(8)}]`;
  const before = new Map<string, NodeView>();
  for (const level of prev?.levels ?? []) for (const node of level.nodes) before.set(node.id, node);
  const lines: string[] = [];
  const tag = providerTag(next, providerLabel);
  if (!prev) lines.push(`${stamp} ${next.workflow} ${next.runId} ${next.status}${tag ? ` ${tag}` : ""}`);
  for (const level of next.levels) {
    for (const node of level.nodes) {
      const old = before.get(node.id);
      const changed = old ? old.status !== node.status || old.attempts !== node.attempts : node.status !== "pending";
      if (changed) lines.push(`${stamp} ${describeNode(node, level.level)}`);
    }
  }
  if (prev && !prev.simulated && next.simulated)
    lines.push(`${stamp} [SIMULATED provider] no model is called in this run`);
  if (prev && prev.status !== next.status) {
    lines.push(`${stamp} run ${next.status}${tag ? ` ${tag}` : ""}`);
  }
  const cache = formatCacheLine(next.cache);
  if (cache && isFinal(next.status) && prev?.status !== next.status) lines.push(`${stamp} ${cache}`);
  return lines;
}

function describeNode(node: NodeView, level: number): string {
  const parts = [`${STATUS_ICONS[node.status] ?? "?"} ${node.id}`, node.status, `level ${level}`];
  if (node.attempts > 1) parts.push(`attempt ${node.attempts}`);
  if (node.status === "done" && node.durationMs !== null) parts.push(formatDuration(node.durationMs));
  if (node.usage)
    parts.push(`${formatTokens(node.usage.inputTokens + node.usage.outputTokens)} tok`, ...cacheParts(node.usage));
  if (node.costUsd !== null) parts.push(formatUsd(node.costUsd));
  const marker = cacheMarker(node);
  if (marker) parts.push(marker);
  if (node.route) parts.push(withoutCacheSuffix(node.route.summary, node.cache).replace(/\s+/g, " ").trim());
  if (node.error && (node.status === "failed" || node.status === "retrying"))
    parts.push(node.error.replace(/\s+/g, " ").trim());
  return parts.join("  ");
}
