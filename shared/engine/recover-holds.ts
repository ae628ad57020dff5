/**
 * Budget recovery of dead attempts: an attempt killed between its reservation and its settle leaves a hold. Once the
 * attempt is known dead (a later attempt of its node runs, or the run is finished), its hold is closed from the
 * run's books, which the call-intent lifecycle keeps exact (call-intent.ts, record-paid.ts):
 * - a paid record (exact, or the worst case booked for a call whose answer was lost): the hold is settled at it
 *   (capped at the hold: budget-store.ts);
 * - no paid record: charged at its whole hold. After `bookUnrecorded` no record means no intent, but the attempt
 *   may still be alive between its reservation and its intent (a takeover, or a cancel that ended the run), and
 *   then call: releasing its hold would let its call go uncharged. Charging the hold whole over-counts only an
 *   attempt that died in that window (milliseconds), never under-counts;
 * - a classifier hold (`<id>:classify`, which has no record in the run's books): charged at its whole hold, since
 *   the call may have been answered.
 * - with a usage log (`USAGE_LOG`), a call through its gateway booked at its worst case keeps its hold until the log settles it
 *   (reconcile-estimates.ts closes it at the billed usage, or at nothing) or the sweeper's last look at the run
 *   (`final`) charges it at that worst case: the budget then ends at what was billed, not at the bound.
 * Each budget operation is idempotent per reservation id, so a hold is closed exactly once whichever path (the next
 * attempt, the run's finish, the sweeper, or the attempt itself) gets there first. A tenant's day is taken from the
 * clock, so the recovery tries today and the {@link RECOVERY_DAYS} − 1 days before; a scope that holds nothing under
 * the id is left unchanged.
 */
import type { RunBudget } from "../budget/budget-spec.js";
import { tenantDailyLimits } from "../budget/budget-spec.js";
import type { BudgetStore } from "../budget/budget-store.js";
import { type BudgetScope, runScope, tenantDayScope } from "../budget/scopes.js";
import { microUsdToUsd } from "../budget/units.js";
import type { PaidUsage } from "../state/run-store.js";
import type { Engine } from "./engine.js";

/** What of a frozen run decides where its calls hold: tenant, run budget, and a child run's ancestors' budgets. */
export interface HeldScopesOf {
  tenant: string;
  budget: RunBudget | null;
  ancestorBudgets?: readonly { runId: string; budget: RunBudget }[] | undefined;
}

/** UTC days of a tenant's budget a recovery looks at (today and the 2 before: the tenant-day keys live 3 days). */
export const RECOVERY_DAYS = 3;

/** Suffix of a node attempt's classifier reservation id (`<runId>:<nodeId>:<attempt>:classify`). */
export const CLASSIFY_SUFFIX = ":classify";

/** Larger than any hold (tokens, and USD as 1e12 micro-USD): a settle with it charges the whole hold. */
const WHOLE_HOLD = { tokens: 1e12, usd: 1e6 };

/**
 * The scopes a call of run `runId` of `tenant` may hold in: the run's budget and the tenant's last
 * {@link RECOVERY_DAYS} days.
 * @param nowMs ms since epoch.
 */
export function recoveryScopes(runId: string, tenant: string, nowMs: number): BudgetScope[] {
  const scopes: BudgetScope[] = [runScope(runId)];
  for (let d = 0; d < RECOVERY_DAYS; d++) scopes.push(tenantDayScope(tenant, nowMs - d * 86_400_000));
  return scopes;
}

/**
 * Closes hold `id` in every scope of `scopes`: settled at `paid` when the call is booked, else charged whole (see
 * the module header); a scope that holds nothing under the id is left unchanged.
 * @throws UpstashError when Redis fails.
 */
export async function closeHold(
  store: BudgetStore,
  scopes: readonly BudgetScope[],
  id: string,
  paid: PaidUsage | undefined,
): Promise<void> {
  const amount = paid
    ? {
        tokens: paid.inputTokens + paid.outputTokens + paid.cacheReadTokens + paid.cacheWriteTokens,
        usd: microUsdToUsd(paid.costMicroUsd),
      }
    : WHOLE_HOLD;
  await Promise.all(scopes.map((s) => store.settle(s, id, amount.tokens, amount.usd)));
}

/**
 * Closes the holds of attempts `attempts` of node `nodeId` (superseded by a later attempt), and of their classifier
 * calls, from the run's paid records, in the scopes the run can hold in ({@link heldScopes}: nothing is sent for a run
 * without budgets). Call it after `bookUnrecorded` for those attempts.
 * @throws UpstashError when Redis fails.
 */
export async function recoverAttemptHolds(
  engine: Engine,
  runId: string,
  frozen: HeldScopesOf,
  nodeId: string,
  attempts: readonly number[],
): Promise<void> {
  const scopes = heldScopes(engine, runId, frozen);
  if (attempts.length === 0 || scopes.length === 0) return;
  const paid = await engine.store.readPaid(runId, nodeId, attempts);
  await Promise.all(
    attempts.flatMap((a) => {
      const id = `${runId}:${nodeId}:${a}`;
      const call = paid.get(a);
      return [
        ...(awaitsUsageLog(engine, call) ? [] : [closeHold(engine.budgets.store, scopes, id, call)]),
        closeHold(engine.budgets.store, scopes, `${id}${CLASSIFY_SUFFIX}`, undefined),
      ];
    }),
  );
}

/**
 * Whether the hold of a call booked as `paid` waits for the usage log instead of closing now: an estimated call made
 * through the usage log's gateway, unless this is the `final` look.
 */
function awaitsUsageLog(engine: Engine, paid: PaidUsage | undefined, final = false): boolean {
  return !final && engine.usageLog !== undefined && paid?.estimated === true && paid.logged === true;
}

/**
 * The scopes run `frozen` can hold reservations in: its run scope when it has a run budget, and the tenant's last
 * {@link RECOVERY_DAYS} days when the tenant has a daily budget (model-call.ts reserves in exactly these). Empty when
 * neither applies: a run without budgets has no hold to close, and its recovery sends no Redis command.
 */
export function heldScopes(engine: Engine, runId: string, frozen: HeldScopesOf): BudgetScope[] {
  const scopes: BudgetScope[] = [];
  const run = frozen.budget;
  if (run && (run.tokens !== undefined || run.usd !== undefined)) scopes.push(runScope(runId));
  // a child run's calls also hold in its ancestors' run budgets (model-call.ts)
  for (const a of frozen.ancestorBudgets ?? [])
    if (a.budget.tokens !== undefined || a.budget.usd !== undefined) scopes.push(runScope(a.runId));
  const daily = tenantDailyLimits(engine.budgets.tenantDaily, frozen.tenant);
  if (daily && (daily.tokens !== undefined || daily.usd !== undefined)) {
    const now = engine.now();
    for (let d = 0; d < RECOVERY_DAYS; d++) scopes.push(tenantDayScope(frozen.tenant, now - d * 86_400_000));
  }
  return scopes;
}

/**
 * Closes every hold still open for run `runId` (a finished run: every attempt is over), from its paid records. Call
 * it after `bookUnrecorded(runId)`. Reads the run's tenant and budget when `frozen` is not given; nothing when the
 * run is gone or has no budget scope ({@link heldScopes}). An estimated call's hold waits for the usage log unless
 * `opts.final` (the sweeper's last look at the run).
 * @throws UpstashError when Redis fails.
 */
export async function recoverRunHolds(
  engine: Engine,
  runId: string,
  frozen?: HeldScopesOf,
  opts: { final?: boolean } = {},
): Promise<void> {
  const f = frozen ?? (await engine.store.readFrozen(runId));
  if (!f) return;
  const scopes = heldScopes(engine, runId, f);
  if (scopes.length === 0) return;
  const held = await Promise.all(scopes.map((s) => engine.budgets.store.heldIds(s, `${runId}:`)));
  const ids = [...new Set(held.flat())];
  await Promise.all(
    ids.map(async (id) => {
      const m = /^(.*):(\d+)(:classify)?$/.exec(id.slice(runId.length + 1));
      if (!m) return;
      const [, nodeId = "", attempt = "0", classify] = m;
      const paid = classify
        ? undefined
        : (await engine.store.readPaid(runId, nodeId, [Number(attempt)])).get(Number(attempt));
      if (awaitsUsageLog(engine, paid, opts.final)) return;
      await closeHold(engine.budgets.store, scopes, id, paid);
    }),
  );
}
