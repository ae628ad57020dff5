import { describe, expect, it } from "vitest";
import { remainingUsd, worstCase } from "../../../shared/budget/worst-case.js";

describe("worstCase and remainingUsd", () => {
  it("reserves the input estimate plus the whole output allowance, priced", () => {
    const price = (u: { inputTokens: number; outputTokens: number }) => (u.inputTokens * 3 + u.outputTokens * 15) / 1e6;
    expect(worstCase(10_000, 1024, price)).toEqual({ tokens: 11_024, usd: (30_000 + 15_360) / 1e6 });
  });

  it("refuses an unknown (non-finite or negative) price rather than treat it as free", () => {
    expect(() => worstCase(10, 10, () => Number.NaN)).toThrow(RangeError);
    expect(() => worstCase(10, 10, () => -1)).toThrow(RangeError);
  });

  it("gives the USD left in the tightest budget, ignoring budgets without a USD limit", () => {
    const base = { usedTokens: 0, usedUsd: 0, reservedTokens: 0, reservedUsd: 0 };
    const run = { ...base, usedMicroUsd: 400_000, reservedMicroUsd: 100_000, limitMicroUsd: 1_000_000, limitUsd: 1 };
    const tenant = { ...base, usedMicroUsd: 4_900_000, reservedMicroUsd: 0, limitMicroUsd: 5_000_000, limitUsd: 5 };
    const unlimited = { ...base, usedMicroUsd: 0, reservedMicroUsd: 0 };
    expect(remainingUsd([run, unlimited])).toBe(0.5);
    expect(remainingUsd([run, tenant])).toBe(0.1);
    expect(remainingUsd([unlimited])).toBeUndefined();
  });
});
