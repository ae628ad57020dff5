/**
 * Progress for a pipe or a log file: one plain line per change (a node's status, the run's status) instead of a
 * redrawn screen. Pure: the caller keeps the previous view.
 */
import { STATUS_ICONS, cacheParts, formatDuration, formatTokens, formatUsd, providerTag } from "./render";
import type { NodeView, RunView } from "./run-view";

/**
 * Lines describing what changed from `prev` to `next`, in level order, e.g.
 * `"[  1.02 s] ✔ codebase-analyzer  done  level 1  1.01 s  812 tok  $0.0040  balanced: feeds 5 nodes"` (tokens
 * input + output, cost in USD, then the routing summary `<tier>: <reason>`). With no previous view every node that
 * is not `pending` is reported, and the run's start is announced with its provider tag (see `providerTag`).
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
  if (prev && !prev.simulated && next.simulated) lines.push(`${stamp} [SIMULATED provider] no model is called in this run`);
  if (prev && prev.status !== next.status) {
    lines.push(`${stamp} run ${next.status}${tag ? ` ${tag}` : ""}`);
  }
  return lines;
}

function describeNode(node: NodeView, level: number): string {
  const parts = [`${STATUS_ICONS[node.status] ?? "?"} ${node.id}`, node.status, `level ${level}`];
  if (node.attempts > 1) parts.push(`attempt ${node.attempts}`);
  if (node.status === "done" && node.durationMs !== null) parts.push(formatDuration(node.durationMs));
  if (node.usage) parts.push(`${formatTokens(node.usage.inputTokens + node.usage.outputTokens)} tok`, ...cacheParts(node.usage));
  if (node.costUsd !== null) parts.push(formatUsd(node.costUsd));
  if (node.route) parts.push(node.route.summary.replace(/\s+/g, " ").trim());
  if (node.error && (node.status === "failed" || node.status === "retrying")) parts.push(node.error.replace(/\s+/g, " ").trim());
  return parts.join("  ");
}
