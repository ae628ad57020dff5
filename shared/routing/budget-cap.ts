/**
 * The budget rule of routing: a tight budget pushes the tier down. This only steers automatic routing; the budget
 * itself is enforced by the reservation (shared/budget/), which refuses or downgrades whatever tier was chosen.
 */
import { downgradeTier, TIERS, type Tier, tierRank } from "./tier.js";

/**
 * Below this many USD left, automatic routing picks at most `fast` when no per-tier cost estimate is given. Ours: a
 * rule of thumb, about one mid-size Sonnet-class call with headroom (10k tokens in, 1k out is $0.03 at claude-sonnet-5's
 * $2/$10 per million, $0.045 at claude-sonnet-4-6's $3/$15; shared/pricing/prices.ts).
 */
export const TIGHT_BUDGET_FAST_USD = 0.05;

/**
 * Below this many USD left, automatic routing picks at most `balanced` when no per-tier cost estimate is given. Ours:
 * a rule of thumb, a few mid-size Opus-class calls (10k tokens in, 2k out is $0.10 at claude-opus-5's $5/$25 per
 * million; shared/pricing/prices.ts), since an Opus-class call often runs longer than that.
 */
export const TIGHT_BUDGET_BALANCED_USD = 0.5;

/** Worst-case cost of this call per tier, in USD (input estimate + maxOutputTokens, priced for the tier's model). */
export type TierCosts = Partial<Record<Tier, number>>;

/** Outcome of {@link budgetCap}: the highest tier the budget allows (null: no cap) and why. */
export interface BudgetCapResult {
  cap: Tier | null;
  reason: string | null;
}

/**
 * The highest tier a remaining budget allows.
 * - With `tierCosts`: the highest tier whose worst-case cost fits in `remainingUsd` (`fast` when none fits: the
 *   reservation will then refuse or the node fails with a budget error, which is the budget's call, not routing's).
 *   A tier without a cost is assumed to cost at least as much as the priced tiers below it (tiers are ordered by
 *   price), and nothing when none below is priced.
 * - Without: `fast` below {@link TIGHT_BUDGET_FAST_USD}, `balanced` below {@link TIGHT_BUDGET_BALANCED_USD}.
 * @param remainingUsd USD left in the tightest budget of the node (run or tenant day); undefined: no budget.
 * @param tierCosts worst-case USD of this call per tier.
 */
export function budgetCap(remainingUsd: number | undefined, tierCosts?: TierCosts): BudgetCapResult {
  if (remainingUsd === undefined || !Number.isFinite(remainingUsd)) return { cap: null, reason: null };
  const left = `${formatUsd(Math.max(0, remainingUsd))} left`;
  if (tierCosts && Object.keys(tierCosts).length > 0) {
    const cost = effectiveCosts(tierCosts);
    let tier: Tier = "deep";
    while (cost[tier] > remainingUsd) {
      const lower = downgradeTier(tier);
      if (!lower) break;
      tier = lower;
    }
    if (tier === "deep") return { cap: null, reason: null };
    const over = TIERS[tierRank(tier) + 1] as Tier;
    return { cap: tier, reason: `budget: ${left}, ${over} needs up to ${formatUsd(cost[over])}` };
  }
  if (remainingUsd < TIGHT_BUDGET_FAST_USD) return { cap: "fast", reason: `budget: ${left}` };
  if (remainingUsd < TIGHT_BUDGET_BALANCED_USD) return { cap: "balanced", reason: `budget: ${left}` };
  return { cap: null, reason: null };
}

/** `$1.25`, `$0.40`, `$0.049`, `$0.0042`: whole cents and amounts of $1 or more with two decimals, smaller odd
 * amounts with two significant digits. */
export function formatUsd(usd: number): string {
  const cents = usd * 100;
  if (usd >= 1 || usd <= 0 || Math.abs(cents - Math.round(cents)) < 1e-9) return `$${usd.toFixed(2)}`;
  return `$${Number(usd.toPrecision(2))}`;
}

function effectiveCosts(costs: TierCosts): Record<Tier, number> {
  let floor = 0;
  const out = {} as Record<Tier, number>;
  for (const tier of TIERS) {
    floor = Math.max(floor, costs[tier] ?? 0);
    out[tier] = floor;
  }
  return out;
}
