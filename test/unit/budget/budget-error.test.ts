import { describe, expect, it } from "vitest";
import { describeRefusal } from "../../../shared/budget/budget-error.js";
import { runScope, tenantDayScope } from "../../../shared/budget/scopes.js";

describe("describeRefusal", () => {
  it("names the limits the request did not fit, only those", () => {
    const msg = describeRefusal(
      runScope("r"),
      { tokens: 6000, usd: 0.004 },
      { tokens: 2500, usd: 1 },
      { tokens: 10_000, usd: 2 },
    );
    expect(msg).toBe("run budget exceeded: the call needs up to 6,000 tokens, 2,500 left of 10,000");
  });

  it("shows a negative headroom (after an overspend) as nothing left", () => {
    const msg = describeRefusal(
      tenantDayScope("acme", 0),
      { tokens: 10, usd: 0.0042 },
      { tokens: null, usd: -0.5 },
      { usd: 5 },
    );
    expect(msg).toBe("tenant acme's budget for 1970-01-01 exceeded: the call needs up to $0.0042, $0.00 left of $5.00");
  });
});
