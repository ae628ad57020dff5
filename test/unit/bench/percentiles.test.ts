import { describe, expect, it } from "vitest";
import { percentile, summarize } from "../../../local/bench/percentiles.js";

describe("percentile (linear interpolation, type 7)", () => {
  it("interpolates between closest ranks like NumPy's default", () => {
    // numpy.percentile([1, 2, 3, 4], [50, 95]) == [2.5, 3.85]
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 95)).toBeCloseTo(3.85, 10);
    expect(percentile([10, 20, 30], 0)).toBe(10);
    expect(percentile([10, 20, 30], 100)).toBe(30);
  });

  it("returns the only value of a one-element sample and null for an empty one", () => {
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it("rejects percentiles outside 0..100 and non-finite values", () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1, Number.NaN], 50)).toThrow(RangeError);
  });
});

describe("summarize", () => {
  it("gives count, mean, p50, p95 and max", () => {
    expect(summarize([5, 1, 3])).toEqual({ count: 3, mean: 3, p50: 3, p95: 4.8, max: 5 });
  });

  it("gives nulls for an empty sample", () => {
    expect(summarize([])).toEqual({ count: 0, mean: null, p50: null, p95: null, max: null });
  });
});
