import { describe, expect, it } from "vitest";
import { downgradeTier, isTier, minTier, TIERS, tierRank } from "../../../shared/routing/tier.js";

describe("tiers", () => {
  it.each([
    ["deep", "balanced"],
    ["balanced", "fast"],
    ["fast", null],
  ] as const)("downgrades %s to %s", (tier, lower) => {
    expect(downgradeTier(tier)).toBe(lower);
  });

  it("orders tiers cheapest first", () => {
    expect(TIERS.map(tierRank)).toEqual([0, 1, 2]);
    expect(minTier("deep", "fast")).toBe("fast");
    expect(minTier("balanced", "deep")).toBe("balanced");
  });

  it.each([
    ["fast", true],
    ["deep", true],
    ["Deep", false],
    ["auto", false],
    ["", false],
    [3, false],
  ] as const)("isTier(%j) is %s", (value, expected) => {
    expect(isTier(value)).toBe(expected);
  });
});
