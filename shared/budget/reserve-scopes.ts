/**
 * One call, several budgets: a node's call counts against its run's budget and its tenant's daily budget. A run key
 * and a tenant key live in different Redis slots (different hash tags), so no single Lua script may touch both
 * (a clustered Redis refuses cross-slot scripts). Instead the scopes are reserved one after another, each in its
 * own atomic script; when one refuses, the holds already taken are cancelled (compensation), and the outcome is
 * the refusal.
 *
 * What this guarantees: no scope's limit is ever exceeded by holds (each script checks its own scope atomically).
 * What it costs: between a hold in the first scope and its cancellation, that hold counts there, so a concurrent
 * reservation may be refused although it would have fit. The error is always on the safe side.
 */
import type {
  BudgetAmount,
  BudgetLimits,
  BudgetStore,
  ReleaseResult,
  ReserveOptions,
  ReserveResult,
  SettleResult,
} from "./budget-store.js";
import type { BudgetScope } from "./scopes.js";

/** A scope and its limits. */
export interface ScopedLimits {
  scope: BudgetScope;
  limits: BudgetLimits;
}

/** Holds taken for one call in every scope: hand it to {@link settleHold} or {@link releaseHold}. */
export interface BudgetHold {
  /** The call's id, unique in every scope it is held in (see {@link reserveScopes}). */
  reservationId: string;
  /** The scopes held, in reservation order. */
  scopes: BudgetScope[];
  /** What is held (per scope; equal in every scope unless an `existing` hold from an earlier try differs). */
  held: BudgetAmount[];
}

/**
 * Outcome of {@link reserveScopes}: `ok` with the hold; or refused/closed by `scope`, with that scope's result and
 * the scopes whose holds were cancelled.
 */
export type ScopesReserveResult =
  | { ok: true; hold: BudgetHold; results: ReserveResult[] }
  | {
      ok: false;
      status: "refused" | "closed";
      scope: BudgetScope;
      result: Extract<ReserveResult, { ok: false }>;
      compensated: BudgetScope[];
    };

/**
 * Reserves `amount` for call `reservationId` in each scope, in the order given (put the scope most likely to refuse
 * first, usually the run's), cancelling the holds already taken when one scope refuses or reports the id closed.
 * Idempotent like {@link BudgetStore.reserve}: a retry with the same id finds its holds `existing`. The id must be
 * unique within every scope, and a tenant's day is shared by all its runs: use one that names the run, the node and
 * the attempt, e.g. `<runId>:<nodeId>:<attempt>` (each attempt is a new call that costs again).
 * @throws RangeError for an empty list (or from the store); UpstashError when Redis fails (holds taken before the
 *   failure stay until released or swept after `holdMs`).
 */
export async function reserveScopes(
  store: BudgetStore,
  scopes: readonly ScopedLimits[],
  reservationId: string,
  amount: BudgetAmount,
  options: ReserveOptions = {},
): Promise<ScopesReserveResult> {
  if (scopes.length === 0) throw new RangeError("Expected at least one budget scope");
  const results: ReserveResult[] = [];
  for (const { scope, limits } of scopes) {
    const result = await store.reserve(scope, reservationId, amount.tokens, amount.usd, limits, options);
    if (!result.ok) {
      const taken = scopes.slice(0, results.length).map((s) => s.scope);
      await Promise.all(taken.map((s) => store.cancel(s, reservationId)));
      return { ok: false, status: result.status, scope, result, compensated: taken };
    }
    results.push(result);
  }
  return {
    ok: true,
    hold: {
      reservationId,
      scopes: scopes.map((s) => s.scope),
      held: results.map((r) => (r.ok ? r.held : { tokens: 0, usd: 0 })),
    },
    results,
  };
}

/**
 * Settles a hold in every scope with the call's actual usage (in parallel: each scope is independent).
 * @param actual tokens (input + output) and USD the call used.
 * @returns each scope's result, in the hold's order.
 * @throws RangeError / UpstashError from the store.
 */
export async function settleHold(store: BudgetStore, hold: BudgetHold, actual: BudgetAmount): Promise<SettleResult[]> {
  return Promise.all(hold.scopes.map((s) => store.settle(s, hold.reservationId, actual.tokens, actual.usd)));
}

/**
 * Releases a hold in every scope (the call failed).
 * @throws RangeError / UpstashError from the store.
 */
export async function releaseHold(
  store: BudgetStore,
  hold: Pick<BudgetHold, "reservationId" | "scopes">,
): Promise<ReleaseResult[]> {
  return Promise.all(hold.scopes.map((s) => store.release(s, hold.reservationId)));
}
