/**
 * Budget scopes and their Redis keys.
 *
 * - Run budget: `<prefix>:{run:<runId>}:budget` (+ `:res`, `:closed`), under the run's hash tag, so it shares the
 *   slot of the run's state keys (shared/state/keys.ts).
 * - Tenant daily budget: `<prefix>:{tenant:<tenant>}:budget:<YYYY-MM-DD>` (+ `:res`, `:closed`), one set per UTC day;
 *   a new day starts from zero. Kept {@link TENANT_DAY_TTL_SECONDS} so yesterday stays readable.
 *
 * Each scope has three keys, all in one slot (same hash tag), given to every budget script in this order:
 * - totals (hash): `usedTokens`, `usedMicroUsd`, `reservedTokens`, `reservedMicroUsd`, `limitTokens`,
 *   `limitMicroUsd` (integers; USD in micro-dollars, units.ts);
 * - res (hash): reservationId -> `"<tokens>,<microUsd>,<expiresAtMs>"` for each reservation held;
 * - closed (hash): reservationId -> `settled` | `released` | `expired` once a reservation is over, so that a
 *   retried settle, release or reserve with the same id changes nothing.
 * A run key and a tenant key live in different slots, so no one script can touch both (see reserve-scopes.ts).
 */

/** The run's budget. */
export interface RunBudgetScope {
  kind: "run";
  runId: string;
}

/** A tenant's budget for one UTC day. */
export interface TenantDayBudgetScope {
  kind: "tenant-day";
  tenant: string;
  /** UTC date `YYYY-MM-DD`. */
  day: string;
}

/** Something a budget applies to. */
export type BudgetScope = RunBudgetScope | TenantDayBudgetScope;

/** The three keys of a scope, in the order budget scripts take them as `KEYS[1..3]`. */
export interface BudgetKeys {
  totals: string;
  res: string;
  closed: string;
  /** `[totals, res, closed]`. */
  all: readonly [string, string, string];
}

/** Lifetime of a tenant-day scope's keys after their last write, seconds (3 days: today, yesterday, margin). */
export const TENANT_DAY_TTL_SECONDS = 3 * 24 * 3600;

/** Lifetime of a run scope's keys after their last write, seconds (7 days, the active-run safety net of run state). */
export const RUN_BUDGET_TTL_SECONDS = 7 * 24 * 3600;

/** The budget scope of run `runId`. */
export function runScope(runId: string): RunBudgetScope {
  return { kind: "run", runId };
}

/**
 * The budget scope of `tenant` on the UTC day of `nowMs`.
 * @param nowMs ms since epoch; the day rolls over at 00:00 UTC.
 */
export function tenantDayScope(tenant: string, nowMs: number): TenantDayBudgetScope {
  return { kind: "tenant-day", tenant, day: utcDay(nowMs) };
}

/**
 * The UTC calendar day of an instant, `YYYY-MM-DD`.
 * @param nowMs ms since epoch.
 * @throws RangeError for an instant `Date` cannot represent.
 */
export function utcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/**
 * The keys of `scope` under `prefix`.
 * @param prefix key prefix (config `KEY_PREFIX`).
 * @throws RangeError when the run id or tenant is empty or contains `{` or `}` (it would break the hash tag), or
 *   the day is not `YYYY-MM-DD`.
 */
export function budgetKeys(prefix: string, scope: BudgetScope): BudgetKeys {
  let base: string;
  if (scope.kind === "run") {
    base = `${prefix}:{run:${checkTagPart("run id", scope.runId)}}:budget`;
  } else {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(scope.day))
      throw new RangeError(`Expected a day as YYYY-MM-DD, got "${scope.day}"`);
    base = `${prefix}:{tenant:${checkTagPart("tenant", scope.tenant)}}:budget:${scope.day}`;
  }
  const keys = [base, `${base}:res`, `${base}:closed`] as const;
  return { totals: keys[0], res: keys[1], closed: keys[2], all: keys };
}

/** Short label of a scope for messages: `run budget`, `tenant acme's budget for 2025-01-31`. */
export function describeScope(scope: BudgetScope): string {
  return scope.kind === "run" ? "run budget" : `tenant ${scope.tenant}'s budget for ${scope.day}`;
}

function checkTagPart(what: string, value: string): string {
  if (value === "" || /[{}]/.test(value)) throw new RangeError(`Expected a ${what} without { or }, got "${value}"`);
  return value;
}
