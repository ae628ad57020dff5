import { describe, expect, it } from "vitest";
import { budgetKeys, runScope, tenantDayScope, utcDay } from "../../../shared/budget/scopes.js";

describe("budget scopes", () => {
  it("puts a run's budget under the run's hash tag", () => {
    expect(budgetKeys("ad", runScope("run_01")).all).toEqual([
      "ad:{run:run_01}:budget",
      "ad:{run:run_01}:budget:res",
      "ad:{run:run_01}:budget:closed",
    ]);
  });

  it("puts a tenant's day under the tenant's hash tag, one key set per UTC day", () => {
    const scope = tenantDayScope("acme", Date.parse("2025-12-31T23:30:00-02:00")); // 01:30 UTC on Jan 1
    expect(scope).toEqual({ kind: "tenant-day", tenant: "acme", day: "2026-01-01" });
    expect(budgetKeys("ad", scope).totals).toBe("ad:{tenant:acme}:budget:2026-01-01");
  });

  it("rolls over at 00:00 UTC", () => {
    expect(utcDay(Date.parse("2025-03-01T23:59:59.999Z"))).toBe("2025-03-01");
    expect(utcDay(Date.parse("2025-03-02T00:00:00.000Z"))).toBe("2025-03-02");
  });

  it("rejects names that would break the hash tag, and malformed days", () => {
    expect(() => budgetKeys("ad", runScope("a}b"))).toThrow(RangeError);
    expect(() => budgetKeys("ad", { kind: "tenant-day", tenant: "{x", day: "2025-01-01" })).toThrow(RangeError);
    expect(() => budgetKeys("ad", { kind: "tenant-day", tenant: "", day: "2025-01-01" })).toThrow(RangeError);
    expect(() => budgetKeys("ad", { kind: "tenant-day", tenant: "x", day: "2025-1-1" })).toThrow(RangeError);
  });
});
