import type { TokenUsage } from "../providers/provider.js";
import { type PriceTable, priceFor, type TokenRates } from "./prices.js";

/** Thrown by {@link costUsd} when a model has no price: an unpriced call must not count as free. */
export class UnpricedModelError extends Error {
  override readonly name = "UnpricedModelError";
  /** @param model the model id that has no entry in the price table. */
  constructor(readonly model: string) {
    super(`no price for model ${model}: add it to the PRICES config`);
  }
}

/** Costs are rounded to this many decimal places of a USD: 1e-9 USD (a nano-dollar). */
export const COST_DECIMALS = 9;

/**
 * The cost of one call in USD:
 * `(inputTokens x input + outputTokens x output + cacheReadTokens x cacheRead + cacheWriteTokens x cacheWrite) / 1e6`,
 * with the model's long-prompt band (`longPrompt`) applied to every token when the prompt (input + cache read +
 * cache write) exceeds its `aboveInputTokens`. The three input counts are disjoint (see TokenUsage).
 * Rounding: the sum is rounded half-up to {@link COST_DECIMALS} decimals (1e-9 USD), which removes floating-point
 * noise and is far below any vendor's billing unit; round sums for display, not each call.
 * @param model model id as reported by the provider (looked up with priceFor).
 * @param usage token counts of the call.
 * @returns USD, >= 0.
 * @throws UnpricedModelError when `table` has no price for `model`.
 */
export function costUsd(model: string, usage: TokenUsage, table: PriceTable): number {
  const price = priceFor(model, table);
  if (!price) throw new UnpricedModelError(model);
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const promptTokens = usage.inputTokens + cacheRead + cacheWrite;
  const rates: TokenRates =
    price.longPrompt && promptTokens > price.longPrompt.aboveInputTokens ? price.longPrompt : price;
  const microUsd =
    usage.inputTokens * rates.input +
    usage.outputTokens * rates.output +
    cacheRead * rates.cacheRead +
    cacheWrite * rates.cacheWrite;
  const scale = 10 ** (COST_DECIMALS - 6);
  return Math.round(microUsd * scale) / 10 ** COST_DECIMALS;
}
