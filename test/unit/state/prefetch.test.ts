import { describe, expect, it } from "vitest";
import { prefetchMessages } from "../../../shared/state/prefetch.js";

describe("prefetchMessages", () => {
  it("is one message per 8 slots, rounded up, and at least one, for a run whose deliveries run one node each", () => {
    expect([1, 4, 8, 9, 16, 17, 1000].map((c) => prefetchMessages(c))).toEqual([1, 1, 1, 2, 2, 3, 125]);
    expect(prefetchMessages(16, 1)).toBe(2);
  });

  it("is none for a run whose deliveries chain nodes", () => {
    expect([1, 4, 16, 1000].map((c) => prefetchMessages(c, 8))).toEqual([0, 0, 0, 0]);
    expect(prefetchMessages(4, 2)).toBe(0);
  });
});
