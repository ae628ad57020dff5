/**
 * The `onBudget` policy of a node: when its call's worst case does not fit, `"fail"` fails the node with a
 * {@link BudgetExceededError}; `"downgrade"` tries the reservation again one tier down (deep -> balanced -> fast)
 * and records each step, failing only when even `fast` does not fit.
 */
import { downgradeTier, type Tier } from "../routing/tier.js";
import { BudgetExceededError } from "./budget-error.js";
import type { BudgetAmount, BudgetStore, ReserveOptions } from "./budget-store.js";
import { type BudgetHold, reserveScopes, type ScopedLimits } from "./reserve-scopes.js";
import { type BudgetScope, describeScope } from "./scopes.js";

/** What a node does when its call does not fit its budget (default `"fail"`). */
export const ON_BUDGET = ["fail", "downgrade"] as const;

/** One of {@link ON_BUDGET}. */
export type OnBudget = (typeof ON_BUDGET)[number];

/** A model to try: its tier (null for an explicit model outside the tier map, which cannot be downgraded). */
export interface BudgetCandidate {
  tier: Tier | null;
  model: string;
}

/** One downgrade step, recorded on the node. */
export interface BudgetDowngrade {
  from: BudgetCandidate;
  to: BudgetCandidate;
  /** The budget that refused `from`, and what `from` needed. */
  refusedBy: BudgetScope;
  needed: BudgetAmount;
}

/** Arguments of {@link reserveWithPolicy}. */
export interface ReserveWithPolicyParams {
  store: BudgetStore;
  /** The node's budgets, most likely to refuse first (usually run, then tenant day). */
  scopes: readonly ScopedLimits[];
  /** Id of this call, e.g. `<runId>:<nodeId>:<attempt>`: every try (and every tier) uses it. */
  reservationId: string;
  onBudget: OnBudget;
  /** The routed choice. */
  start: BudgetCandidate;
  /** Worst case of calling `model`: input estimate + maxOutputTokens tokens, priced for `model`. */
  worstCase: (model: string) => BudgetAmount;
  /** The model of a tier for the routed provider (tier-map.ts `modelForTier`). */
  modelForTier: (tier: Tier) => string;
  options?: ReserveOptions | undefined;
}

/**
 * Outcome of {@link reserveWithPolicy}: held (with the candidate that fits, every downgrade taken and a note for
 * progress, null without downgrade); refused (the error to fail the node with, and every candidate tried); or
 * closed (this reservation id was already settled or released: a duplicate of a finished call, do not run it).
 */
export type PolicyResult =
  | {
      ok: true;
      hold: BudgetHold;
      chosen: BudgetCandidate;
      amount: BudgetAmount;
      downgrades: BudgetDowngrade[];
      note: string | null;
    }
  | {
      ok: false;
      status: "refused";
      error: BudgetExceededError;
      tried: BudgetCandidate[];
      downgrades: BudgetDowngrade[];
    }
  | { ok: false; status: "closed"; closedAs: "settled" | "released" | "expired" };

/**
 * Reserves a call's worst case under `onBudget`. Each try is a {@link reserveScopes} (compensated across scopes),
 * so a refused try holds nothing and the next tier reuses the same reservation id.
 * @throws RangeError / UpstashError from the store; whatever `worstCase` or `modelForTier` throw.
 */
export async function reserveWithPolicy(p: ReserveWithPolicyParams): Promise<PolicyResult> {
  const downgrades: BudgetDowngrade[] = [];
  const tried: BudgetCandidate[] = [];
  let candidate = p.start;
  for (;;) {
    tried.push(candidate);
    const amount = p.worstCase(candidate.model);
    const res = await reserveScopes(p.store, p.scopes, p.reservationId, amount, p.options);
    if (res.ok) {
      return { ok: true, hold: res.hold, chosen: candidate, amount, downgrades, note: describeDowngrades(downgrades) };
    }
    const refusal = res.result;
    if (refusal.status === "closed") return { ok: false, status: "closed", closedAs: refusal.closedAs };
    const lower = p.onBudget === "downgrade" && candidate.tier ? downgradeTier(candidate.tier) : null;
    if (!lower) {
      const error = new BudgetExceededError(res.scope, refusal.requested, refusal.left, refusal.limits);
      return { ok: false, status: "refused", error, tried, downgrades };
    }
    const next: BudgetCandidate = { tier: lower, model: p.modelForTier(lower) };
    downgrades.push({ from: candidate, to: next, refusedBy: res.scope, needed: amount });
    candidate = next;
  }
}

/** `budget: deep -> balanced (run budget)`, or null when nothing was downgraded. */
export function describeDowngrades(downgrades: readonly BudgetDowngrade[]): string | null {
  if (downgrades.length === 0) return null;
  const first = downgrades[0] as BudgetDowngrade;
  const chain = [first.from.tier ?? first.from.model, ...downgrades.map((d) => d.to.tier ?? d.to.model)].join(" -> ");
  const scopes = [...new Set(downgrades.map((d) => describeScope(d.refusedBy)))].join(", ");
  return `budget: downgraded ${chain} (${scopes})`;
}
