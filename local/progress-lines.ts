/**
 * Progress for a pipe or a log file: one plain line per change (a node's status, the run's status) instead of a
 * redrawn screen. Pure: the caller keeps the previous view.
 */
import { STATUS_ICONS, formatDuration, formatTokens } from "./render";
import type { NodeView, RunView } from "./run-view";

/**
 * Lines describing what changed from `prev` to `next`, in level order, e.g.
 * `"[  1.02 s] ✔ codebase-analyzer  done  1.01 s  812 tok"`. With no previous view every node that is not
 * `pending` is reported, and the run's start is announced.
 * @param prev the view printed last time, or null for the first one.
 * @param next the newly polled view.
 * @param now current time, ms since the epoch; the bracketed stamp is `now - next.startedAt`.
 */
export function progressLines(prev: RunView | null, next: RunView, now: number): string[] {
  const start = Date.parse(next.startedAt);
  const stamp = `[${formatDuration(Number.isNaN(start) ? 0 : now - start).padStart(8)}]`;
  const before = new Map<string, NodeView>();
  for (const level of prev?.levels ?? []) for (const node of level.nodes) before.set(node.id, node);
  const lines: string[] = [];
  if (!prev) lines.push(`${stamp} ${next.workflow} ${next.runId} ${next.status}${next.simulated ? " [SIMULATED provider]" : ""}`);
  for (const level of next.levels) {
    for (const node of level.nodes) {
      const old = before.get(node.id);
      const changed = old ? old.status !== node.status || old.attempts !== node.attempts : node.status !== "pending";
      if (changed) lines.push(`${stamp} ${describeNode(node, level.level)}`);
    }
  }
  if (prev && !prev.simulated && next.simulated) lines.push(`${stamp} [SIMULATED provider] no model is called in this run`);
  if (prev && prev.status !== next.status) {
    lines.push(`${stamp} run ${next.status}${next.simulated ? " [SIMULATED provider]" : ""}`);
  }
  return lines;
}

function describeNode(node: NodeView, level: number): string {
  const parts = [`${STATUS_ICONS[node.status] ?? "?"} ${node.id}`, node.status, `level ${level}`];
  if (node.attempts > 1) parts.push(`attempt ${node.attempts}`);
  if (node.status === "done" && node.durationMs !== null) parts.push(formatDuration(node.durationMs));
  if (node.usage) parts.push(`${formatTokens(node.usage.inputTokens + node.usage.outputTokens)} tok`);
  if (node.error && (node.status === "failed" || node.status === "retrying")) parts.push(node.error.replace(/\s+/g, " ").trim());
  return parts.join("  ");
}
