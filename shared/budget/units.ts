/**
 * Money units of budgets. Redis keeps USD as integer micro-dollars (1 µUSD = 1e-6 USD) so that thousands of
 * `HINCRBY`s add up exactly; floats would drift. Tokens are integers already. Values stay far below 2^53, the largest
 * integer a Lua (double) number holds exactly: 2^53 µUSD is about 9 billion USD.
 */

/** Micro-dollars per US dollar. */
export const MICRO_USD_PER_USD = 1_000_000;

/** How {@link usdToMicroUsd} rounds to a whole micro-dollar. */
export type MicroRounding = "up" | "down" | "nearest";

/**
 * USD -> integer micro-dollars. The value is first rounded to a nano-dollar, so that float noise (0.1 USD is
 * 100000.00000000001 µUSD in binary) does not push `up` one micro-dollar too far.
 * Budgets round reservations `up` (never under-reserve), limits `down` (never allow more than configured) and
 * actual costs to the `nearest`.
 * @throws RangeError for a negative, NaN or infinite amount.
 */
export function usdToMicroUsd(usd: number, rounding: MicroRounding): number {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`Expected a USD amount >= 0, got ${usd}`);
  const nanos = Math.round(usd * MICRO_USD_PER_USD * 1000) / 1000;
  return rounding === "up" ? Math.ceil(nanos) : rounding === "down" ? Math.floor(nanos) : Math.round(nanos);
}

/** Integer micro-dollars -> USD. */
export function microUsdToUsd(microUsd: number): number {
  return microUsd / MICRO_USD_PER_USD;
}
