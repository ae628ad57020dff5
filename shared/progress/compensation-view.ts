import { compensationId } from "../dag/compensation.js";
import type { RunSnapshot } from "../state/run-types.js";
import { type PaidCallView, paidCallOf } from "./paid-call.js";

/** One compensation in the run view: the node it compensates, its status, attempts, times (ISO 8601), error,
 * output excerpt, usage (tokens, as a node's), cost (USD) and paid calls by attempt (as a node's `paidCalls`). */
export interface CompensationNodeView {
  /** The compensation node's id, `<node>~compensate`. */
  id: string;
  /** The node it compensates. */
  node: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  excerpt: string | null;
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number } | null;
  costUsd: number | null;
  paidCalls: PaidCallView[];
}

/**
 * The run's compensation (saga): `status` `running` (the run shows `compensating`), `completed` (every
 * compensation of a done node ran) or `failed` (one failed after its retries: see its `error`); `runStatus`, how
 * the run ended before compensating (`failed` or `cancelled`); `reason`, why (the first failed node, or
 * `cancelled`); `nodes`, one per node with a `compensate` step, in the workflow's order (`skipped` when the node
 * had not finished).
 */
export interface CompensationView {
  status: "running" | "completed" | "failed";
  runStatus: string;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  nodes: CompensationNodeView[];
}

const iso = (ms: string | undefined): string | null => (ms ? new Date(Number(ms)).toISOString() : null);

/** The compensation part of the run view, or null when the run has not compensated. */
export function buildCompensationView(s: RunSnapshot): CompensationView | null {
  const state = s.meta.compensation;
  if (state !== "running" && state !== "completed" && state !== "failed") return null;
  const nodes = s.frozen.workflow.nodes
    .filter((n) => n.compensate)
    .map((n): CompensationNodeView => {
      const id = compensationId(n.id);
      const cost = s.cost[id];
      const u = s.usage[id]?.split(",").map(Number);
      return {
        id,
        node: n.id,
        status: s.status[id] ?? "pending",
        attempts: Number(s.attempts[id] ?? 0),
        startedAt: iso(s.started[id]),
        finishedAt: iso(s.finished[id]),
        error: s.error[id] ?? null,
        excerpt: s.excerpt[id] ?? null,
        usage: u
          ? { inputTokens: u[0] ?? 0, outputTokens: u[1] ?? 0, cacheReadTokens: u[2] ?? 0, cacheWriteTokens: u[3] ?? 0 }
          : null,
        costUsd: cost === undefined ? null : Number(cost) / 1_000_000,
        paidCalls: paidCallsOf(s.paid, id),
      };
    });
  return {
    status: state,
    runStatus: s.meta.finalStatus ?? "failed",
    reason: s.meta.compensationReason ?? null,
    startedAt: iso(s.meta.compensationStartedAt),
    finishedAt: iso(s.meta.compensationFinishedAt),
    nodes,
  };
}

/** The paid calls booked for node `id` (run-types.ts `paid`: `<id>:<attempt>` -> `<in>,<out>,<cr>,<cw>,<µUSD>[,e|r|v]`, paid-call.ts). */
function paidCallsOf(
  paid: Readonly<Record<string, string>> | undefined,
  id: string,
): CompensationNodeView["paidCalls"] {
  const calls: CompensationNodeView["paidCalls"] = [];
  for (const [field, value] of Object.entries(paid ?? {})) {
    const m = /^(.*):(\d+)$/.exec(field);
    if (!m || m[1] !== id) continue;
    const call = paidCallOf(Number(m[2]), value);
    if (call) calls.push(call);
  }
  return calls.sort((a, b) => a.attempt - b.attempt);
}

/** The run status the view shows: `compensating` while compensations run (stored status `running`). */
export function shownRunStatus(meta: Readonly<Record<string, string>>): string {
  return meta.compensation === "running" ? "compensating" : (meta.status ?? "running");
}
