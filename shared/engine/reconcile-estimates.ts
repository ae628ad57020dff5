/**
 * Reconciles a run's estimated calls against the provider's usage log. A call whose answer never reached the run's
 * books (the worker killed after the provider answered, or before the request left) is booked at its reserved worst
 * case, marked estimated (shared/state/lua/call-intent.ts). With a usage log configured (`USAGE_LOG`,
 * shared/providers/usage-log.ts), each such call is read back by its call key once it has settled, and its estimate
 * replaced (shared/state/lua/reconcile-estimate.ts): by the usage the log billed, or by no call when the log, written
 * past the call, holds none billed. The sweeper does it at each look at a finished run, until nothing is left open or
 * the horizon has passed (engine/sweeper.ts): a call settles `settleMs` after its intent, long after the run's finish.
 */
import { usdToMicroUsd } from "../budget/units.js";
import { costUsd } from "../pricing/cost.js";
import { callKey, judgeEstimate } from "../providers/usage-log.js";
import type { Engine } from "./engine.js";

/** Estimated calls one pass looks up at most (each costs one or two requests to the log). */
export const MAX_LOOKUPS_PER_PASS = 8;

/** What one reconciliation did with a run's estimated calls. */
export interface ReconcileReport {
  /** Replaced by the usage the log billed. */
  billed: number;
  /** Replaced by no call: the log holds none billed. */
  voided: number;
  /** Left estimated for now: not settled, the log not written past the call or unclear, or not looked up. */
  pending: number;
  /** Look-ups that failed (1 at most: the pass stops at the first, and its estimates count in `pending`), with the
   * error. */
  failed: number;
  firstError: string | null;
}

/**
 * Reconciles the estimated calls of run `runId` that went through the usage log's gateway ({@link ReconcileReport});
 * nothing without a usage log or without such estimates (one HGETALL then). A failing look-up ends the pass: it and
 * the calls after it stay estimated; it is logged and reported, not thrown.
 * @throws UpstashError when Redis fails.
 */
export async function reconcileEstimates(engine: Engine, runId: string): Promise<ReconcileReport> {
  const report: ReconcileReport = { billed: 0, voided: 0, pending: 0, failed: 0, firstError: null };
  const settings = engine.usageLog;
  if (!settings) return report;
  const estimates = await engine.store.readEstimates(runId);
  if (estimates.length === 0) return report;
  const now = engine.now();
  // an entry made after the intent shows the log was on and storing then; its delay in writing is what settleMs
  // already waits for. "The log holds an entry after t" holds for every earlier t too: one answer covers them
  let caughtUpTo = Number.NEGATIVE_INFINITY;
  const caughtUp = async (t: number): Promise<boolean> => {
    if (t <= caughtUpTo) return true;
    if (!(await settings.log.hasEntriesAfter(t))) return false;
    caughtUpTo = t;
    return true;
  };
  let lookups = 0;
  for (const e of estimates) {
    // a look's subrequests stay bounded (Workers Free: 50 per invocation); the rest waits for the next look
    if (lookups >= MAX_LOOKUPS_PER_PASS) {
      report.pending += 1;
      continue;
    }
    if (now < e.intentAtMs + settings.settleMs) {
      report.pending += 1;
      continue;
    }
    lookups += 1;
    try {
      const entries = await settings.log.requestsOf(callKey({ runId, nodeId: e.nodeId, attempt: e.attempt }));
      // the log's catching up matters only for a call it has no entry of
      const verdict = judgeEstimate(entries, entries.length === 0 && (await caughtUp(e.intentAtMs)));
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
      // the log is down or refuses us: the rest waits for the next look rather than each paying a timeout
      report.failed += 1;
      report.firstError = err instanceof Error ? err.message : String(err);
      report.pending += estimates.length - estimates.indexOf(e);
      break;
    }
  }
  if (report.failed > 0) console.error(`run ${runId}: usage log not read (${report.firstError}); estimates kept`);
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
