import { describe, expect, it } from "vitest";
import { budgetCap, formatUsd } from "../../../shared/routing/budget-cap.js";

describe("budgetCap", () => {
  it.each([
    // remaining USD, tier costs, cap, reason
    [undefined, undefined, null, null],
    [10, undefined, null, null],
    [0.5, undefined, null, null],
    [0.49, undefined, "balanced", "budget: $0.49 left"],
    [0.05, undefined, "balanced", "budget: $0.05 left"],
    [0.049, undefined, "fast", "budget: $0.049 left"],
    [-1, undefined, "fast", "budget: $0.00 left"],
    [2, { fast: 0.01, balanced: 0.2, deep: 1.5 }, null, null],
    [1, { fast: 0.01, balanced: 0.2, deep: 1.5 }, "balanced", "budget: $1.00 left, deep needs up to $1.50"],
    [0.1, { fast: 0.01, balanced: 0.2, deep: 1.5 }, "fast", "budget: $0.10 left, balanced needs up to $0.20"],
    // nothing fits: fast, and the reservation decides
    [0.001, { fast: 0.01, balanced: 0.2, deep: 1.5 }, "fast", "budget: $0.001 left, balanced needs up to $0.20"],
    // a tier without a known price costs at least what the priced tiers below it cost
    [0.1, { balanced: 0.2 }, "fast", "budget: $0.10 left, balanced needs up to $0.20"],
    [0.3, { balanced: 0.2 }, null, null],
    [0.1, { fast: 0.01 }, null, null],
    [0.001, { fast: 0.01 }, "fast", "budget: $0.001 left, balanced needs up to $0.01"],
  ] as const)("$%s left with costs %j caps at %s", (remaining, costs, cap, reason) => {
    expect(budgetCap(remaining, costs)).toEqual({ cap, reason });
  });

  it("formats whole cents with two decimals and smaller odd amounts with two significant digits", () => {
    expect([0, 0.0042, 0.01, 0.049, 0.1, 0.123, 12.345].map(formatUsd)).toEqual([
      "$0.00",
      "$0.0042",
      "$0.01",
      "$0.049",
      "$0.10",
      "$0.12",
      "$12.35",
    ]);
  });
});
