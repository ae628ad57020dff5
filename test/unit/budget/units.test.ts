import { describe, expect, it } from "vitest";
import { microUsdToUsd, usdToMicroUsd } from "../../../shared/budget/units.js";

describe("usdToMicroUsd", () => {
  it.each([
    // usd, rounding, micro-dollars
    [0.1, "up", 100_000], // 0.1 * 1e6 is 100000.00000000001 in binary: must not round up to 100001
    [0.3, "up", 300_000],
    [0.0000011, "up", 2],
    [0.0000011, "down", 1],
    [0.0000015, "nearest", 2],
    [0.0000014, "nearest", 1],
    [2.5, "down", 2_500_000],
    [0, "up", 0],
  ] as const)("%d USD rounded %s is %d µUSD", (usd, rounding, micro) => {
    expect(usdToMicroUsd(usd, rounding)).toBe(micro);
  });

  it("rejects negative and non-finite amounts", () => {
    expect(() => usdToMicroUsd(-0.01, "up")).toThrow(RangeError);
    expect(() => usdToMicroUsd(Number.NaN, "up")).toThrow(RangeError);
    expect(() => usdToMicroUsd(Number.POSITIVE_INFINITY, "down")).toThrow(RangeError);
  });

  it("converts back to USD", () => {
    expect(microUsdToUsd(1_234_567)).toBe(1.234567);
  });
});
