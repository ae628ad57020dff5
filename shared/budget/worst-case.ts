import type { BudgetAmount, BudgetUsage } from "./budget-store.js";
import { microUsdToUsd } from "./units.js";

/** Token usage priced by a price function (shared/pricing `costUsd`); the three input counts are disjoint. */
export interface PricedUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

/**
 * The worst case a call reserves before it runs: its input bound plus its whole output allowance. The input is
 * priced at the dearest of the plain input, cache-write and cache-read rates (a provider may write the whole prompt
 * to its cache, e.g. Anthropic's 1.25 x input for a 5-minute write), so no mix of those can cost more.
 * @param inputTokens upper bound of the input tokens (input-bound.ts `inputTokenBound`), >= 0.
 * @param maxOutputTokens the call's output limit, tokens (the provider call is capped at it).
 * @param priceUsd USD of a usage on the call's model (e.g. `(u) => costUsd(model, u)`).
 * @returns `{ tokens: inputTokens + maxOutputTokens, usd: the dearest pricing of that usage }`.
 * @throws RangeError when a price is negative or not finite (an unknown price must not pass as free).
 */
export function worstCase(
  inputTokens: number,
  maxOutputTokens: number,
  priceUsd: (usage: PricedUsage) => number,
): BudgetAmount {
  const input = Math.max(0, Math.ceil(inputTokens));
  const outputTokens = Math.max(0, Math.ceil(maxOutputTokens));
  const usages: PricedUsage[] = [
    { inputTokens: input, outputTokens },
    { inputTokens: 0, outputTokens, cacheWriteTokens: input },
    { inputTokens: 0, outputTokens, cacheReadTokens: input },
  ];
  let usd = 0;
  for (const u of usages) {
    const price = priceUsd(u);
    if (!Number.isFinite(price) || price < 0) throw new RangeError(`Expected a price >= 0 USD, got ${price}`);
    usd = Math.max(usd, price);
  }
  return { tokens: input + outputTokens, usd };
}

/**
 * USD left in the tightest of several budgets (limit - used - reserved, at least 0), for routing's
 * `budgetRemainingUsd`; undefined when none has a USD limit.
 */
export function remainingUsd(usages: readonly BudgetUsage[]): number | undefined {
  let min: number | undefined;
  for (const u of usages) {
    if (u.limitMicroUsd === undefined) continue;
    const left = microUsdToUsd(Math.max(0, u.limitMicroUsd - u.usedMicroUsd - u.reservedMicroUsd));
    min = min === undefined ? left : Math.min(min, left);
  }
  return min;
}
