/**
 * The chaos suite's line about saga compensation (pure): how many runs compensated, how their compensation ended,
 * and their compensations by status (shared/progress/compensation-view.ts).
 */
import type { RunAudit } from "./audit.js";

/** `compensation: N runs (completed a, failed b) | nodes done x, failed y, skipped z`, or null when no run compensated. */
export function compensationLine(audits: readonly RunAudit[]): string | null {
  const runs = audits.flatMap((a) => (a.compensation ? [a.compensation] : []));
  if (runs.length === 0) return null;
  const ended = new Map<string, number>();
  const nodes = new Map<string, number>();
  for (const r of runs) {
    ended.set(r.status, (ended.get(r.status) ?? 0) + 1);
    for (const [s, n] of Object.entries(r.byStatus)) nodes.set(s, (nodes.get(s) ?? 0) + n);
  }
  const list = (m: Map<string, number>) => [...m].map(([s, n]) => `${s} ${n}`).join(", ");
  return `compensation: ${runs.length} runs (${list(ended)}) | compensations ${list(nodes)}`;
}
