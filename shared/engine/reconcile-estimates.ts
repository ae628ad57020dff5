/**
 * Reconciles a run's estimated calls against the provider's usage log. A call whose answer never reached the run's
 * books (the worker killed after the provider answered, or before the request left) is booked at its reserved worst
 * case, marked estimated (shared/state/lua/call-intent.ts). With a usage log configured (`USAGE_LOG`,
 * shared/providers/usage-log.ts), each such call is read back by its call key once it has settled, and its estimate
 * replaced (shared/state/lua/reconcile-estimate.ts): by the usage the log billed, or by no call when the log, written
 * past the call, holds none billed. The run's finish tries it (engine/advance.ts `bookIfFinished`); the sweeper tries
 * again each period until nothing is left open or the horizon has passed (engine/sweeper.ts).
 */
import { usdToMicroUsd } from "../budget/units.js";
import { costUsd } from "../pricing/cost.js";
import { callKey, judgeEstimate } from "../providers/usage-log.js";
import type { Engine } from "./engine.js";

/** What one reconciliation did with a run's estimated calls. */
export interface ReconcileReport {
  /** Replaced by the usage the log billed. */
  billed: number;
  /** Replaced by no call: the log holds none billed. */
  voided: number;
  /** Left estimated for now: not settled, the log not written past the call, or the log unreadable. */
  pending: number;
  /** Look-ups that failed (counted in `pending` too), with their first error. */
  failed: number;
  firstError: string | null;
}

/**
 * Reconciles the estimated calls of run `runId` ({@link ReconcileReport}); nothing without a usage log or without
 * estimates (one HGETALL then). A failing look-up leaves its call estimated and is reported, not thrown.
 * @throws UpstashError when Redis fails.
 */
export async function reconcileEstimates(engine: Engine, runId: string): Promise<ReconcileReport> {
  const report: ReconcileReport = { billed: 0, voided: 0, pending: 0, failed: 0, firstError: null };
  const settings = engine.usageLog;
  if (!settings) return report;
  const estimates = await engine.store.readEstimates(runId);
  if (estimates.length === 0) return report;
  const now = engine.now();
  // "the log holds an entry after t" holds for every earlier t too: one answer covers the earlier intents
  let caughtUpTo = Number.NEGATIVE_INFINITY;
  const caughtUp = async (t: number): Promise<boolean> => {
    if (t <= caughtUpTo) return true;
    if (!(await settings.log.hasEntriesAfter(t))) return false;
    caughtUpTo = t;
    return true;
  };
  for (const e of estimates) {
    if (now < e.intentAtMs + settings.settleMs) {
      report.pending += 1;
      continue;
    }
    try {
      const entries = await settings.log.requestsOf(callKey({ runId, nodeId: e.nodeId, attempt: e.attempt }));
      const logCaughtUp = entries.length > 0 || (await caughtUp(e.intentAtMs));
      const verdict = judgeEstimate(entries, {
        nowMs: now,
        intentAtMs: e.intentAtMs,
        settleMs: settings.settleMs,
        logCaughtUp,
      });
      if (verdict.kind === "pending") {
        report.pending += 1;
        continue;
      }
      if (verdict.kind === "void") {
        if (await engine.store.reconcileEstimate(runId, e.nodeId, e.attempt, "void")) report.voided += 1;
        continue;
      }
      const usage = { inputTokens: verdict.inputTokens, outputTokens: verdict.outputTokens };
      // the log's own price when it has one, else ours for the model that answered
      const usd = verdict.costUsd ?? costUsd(verdict.model ?? "", usage, engine.prices);
      const billed = { ...usage, cacheReadTokens: 0, cacheWriteTokens: 0, costMicroUsd: usdToMicroUsd(usd, "nearest") };
      if (await engine.store.reconcileEstimate(runId, e.nodeId, e.attempt, { billed })) report.billed += 1;
    } catch (err) {
      report.pending += 1;
      report.failed += 1;
      report.firstError ??= err instanceof Error ? err.message : String(err);
    }
  }
  return report;
}

/**
 * Whether the sweeper should look at finished run `runId` again for its estimates: some are still open and the run
 * finished less than the horizon ago.
 * @param finishedAtMs the run's finish, ms since epoch (NaN when unknown: not kept).
 */
export function keepReconciling(engine: Engine, report: ReconcileReport, finishedAtMs: number): boolean {
  const settings = engine.usageLog;
  if (!settings || report.pending === 0 || !Number.isFinite(finishedAtMs)) return false;
  return engine.now() < finishedAtMs + settings.horizonMs;
}
