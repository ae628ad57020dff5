import { describe, expect, it } from "vitest";
import { runBudgetSchema, tenantBudgetsSchema, tenantDailyLimits } from "../../../shared/budget/budget-spec.js";

describe("budget settings", () => {
  it("parses a run budget with onBudget defaulting to fail", () => {
    expect(runBudgetSchema.parse({ usd: 2.5 })).toEqual({ usd: 2.5, onBudget: "fail" });
    expect(runBudgetSchema.parse({ tokens: 1000, onBudget: "downgrade" })).toEqual({
      tokens: 1000,
      onBudget: "downgrade",
    });
  });

  it("rejects negative, fractional-token and unknown settings", () => {
    expect(runBudgetSchema.safeParse({ usd: -1 }).success).toBe(false);
    expect(runBudgetSchema.safeParse({ tokens: 1.5 }).success).toBe(false);
    expect(runBudgetSchema.safeParse({ onBudget: "ignore" }).success).toBe(false);
    expect(runBudgetSchema.safeParse({ dollars: 1 }).success).toBe(false);
  });

  it("finds a tenant's daily limits, falling back to the * entry", () => {
    const budgets = tenantBudgetsSchema.parse({ acme: { usd: 50 }, "*": { usd: 5 } });
    expect(tenantDailyLimits(budgets, "acme")).toEqual({ usd: 50 });
    expect(tenantDailyLimits(budgets, "other")).toEqual({ usd: 5 });
    expect(tenantDailyLimits(tenantBudgetsSchema.parse({ acme: {} }), "other")).toBeUndefined();
  });
});
