/**
 * Model tiers: the three sizes of model a node can be routed to, cheapest first. A tier is mapped to a concrete
 * model per provider by the {@link TierMap} config (tier-map.ts).
 */

/**
 * The tiers, cheapest and fastest first: `fast` (Haiku-class), `balanced` (Sonnet-class), `deep` (Opus-class).
 * The order is the downgrade order: {@link downgradeTier} steps one place to the left.
 */
export const TIERS = ["fast", "balanced", "deep"] as const;

/** One of {@link TIERS}. */
export type Tier = (typeof TIERS)[number];

/** Whether `value` names a tier (exact, lower case: `"fast"`, `"balanced"` or `"deep"`). */
export function isTier(value: unknown): value is Tier {
  return typeof value === "string" && (TIERS as readonly string[]).includes(value);
}

/** Position of `tier` in {@link TIERS}: 0 for `fast`, 1 for `balanced`, 2 for `deep`. */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/**
 * The tier one step cheaper than `tier` (the `onBudget: "downgrade"` step).
 * @returns `deep` -> `balanced`, `balanced` -> `fast`, `fast` -> null (nothing cheaper).
 */
export function downgradeTier(tier: Tier): Tier | null {
  const rank = tierRank(tier);
  return rank > 0 ? (TIERS[rank - 1] as Tier) : null;
}

/** The cheaper of two tiers (by {@link tierRank}). */
export function minTier(a: Tier, b: Tier): Tier {
  return tierRank(a) <= tierRank(b) ? a : b;
}
