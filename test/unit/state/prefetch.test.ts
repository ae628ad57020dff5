import { describe, expect, it } from "vitest";
import { prefetchMessages } from "../../../shared/state/prefetch.js";

describe("prefetchMessages", () => {
  it("is one message per 8 slots, rounded up, and at least one", () => {
    expect([1, 4, 8, 9, 16, 17, 1000].map(prefetchMessages)).toEqual([1, 1, 1, 2, 2, 3, 125]);
  });
});
