import type { BudgetAmount, BudgetUsage } from "./budget-store.js";
import { microUsdToUsd } from "./units.js";

/** Token usage priced by a price function (shared/pricing `costUsd`). */
export interface PricedUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * The worst case a call reserves before it runs: its input estimate plus its whole output allowance.
 * @param inputTokens estimated input tokens (system + rendered prompt), >= 0.
 * @param maxOutputTokens the call's output limit, tokens.
 * @param priceUsd USD of a usage on the call's model (e.g. `(u) => costUsd(model, u)`).
 * @returns `{ tokens: inputTokens + maxOutputTokens, usd: priceUsd(that usage) }`.
 * @throws RangeError when the price is negative or not finite (an unknown price must not pass as free).
 */
export function worstCase(
  inputTokens: number,
  maxOutputTokens: number,
  priceUsd: (usage: PricedUsage) => number,
): BudgetAmount {
  const usage = {
    inputTokens: Math.max(0, Math.ceil(inputTokens)),
    outputTokens: Math.max(0, Math.ceil(maxOutputTokens)),
  };
  const usd = priceUsd(usage);
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`Expected a price >= 0 USD, got ${usd}`);
  return { tokens: usage.inputTokens + usage.outputTokens, usd };
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
