/**
 * What `agent-dag` prints that is not the live todo list (that is local/render.ts, the demo's renderer): the runs
 * table and the one-line answers of the actions. Pure.
 */
import type { RunSummaryBody } from "../../shared/client/run-api.js";
import { formatDuration, formatTokens, formatUsd } from "../render.js";

/**
 * The runs of `agent-dag runs` as an aligned table with a header: run id, status, workflow, trigger, created
 * (ISO 8601, to the second, UTC), duration (to `now` while running), nodes done/total, tokens, cost in USD.
 * `"no runs"` for an empty list.
 * @param now current time, ms since the epoch.
 */
export function formatRunsTable(runs: readonly RunSummaryBody[], now: number): string {
  if (runs.length === 0) return "no runs";
  const rows = runs.map((r) => {
    const start = Date.parse(r.createdAt);
    const end = r.finishedAt ? Date.parse(r.finishedAt) : now;
    return [
      r.runId,
      r.status,
      r.workflow,
      r.trigger,
      Number.isNaN(start) ? r.createdAt : new Date(start).toISOString().slice(0, 19).replace("T", " "),
      Number.isNaN(start) || Number.isNaN(end) ? "" : formatDuration(end - start),
      `${r.totals.done}/${r.totals.nodes}${r.totals.failed ? ` (${r.totals.failed} failed)` : ""}`,
      formatTokens(r.totals.inputTokens + r.totals.outputTokens),
      formatUsd(r.totals.costUsd),
    ];
  });
  const header = ["RUN", "STATUS", "WORKFLOW", "TRIGGER", "CREATED (UTC)", "TOOK", "NODES", "TOKENS", "COST"];
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
  return table
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/**
 * The exit status of a command that followed a run to its end: 0 when it completed, 1 when it failed or was
 * cancelled (so scripts can `agent-dag run x --watch && deploy`).
 */
export function exitStatusOf(runStatus: string): number {
  return runStatus === "completed" ? 0 : 1;
}

/** The dashboard address of a run on a worker, e.g. `https://w.example/#/runs/run_…`. */
export function dashboardUrl(baseUrl: string, runId: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/#/runs/${encodeURIComponent(runId)}`;
}
