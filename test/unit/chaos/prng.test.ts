import { describe, expect, it } from "vitest";
import { createPrng, hash32 } from "../../../local/chaos/prng.js";

const take = (seed: number, n: number) => {
  const r = createPrng(seed);
  return Array.from({ length: n }, () => r.next());
};

describe("createPrng", () => {
  it("gives the same sequence for the same seed and a different one for another seed", () => {
    expect(take(1, 20)).toEqual(take(1, 20));
    expect(take(1, 20)).not.toEqual(take(2, 20));
  });

  it("draws floats in [0, 1) spread over the range", () => {
    const xs = take(42, 10_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it("int() stays within both inclusive bounds and reaches each of them", () => {
    const r = createPrng(7);
    const seen = new Set(Array.from({ length: 2_000 }, () => r.int(5, 9)));
    expect([...seen].sort()).toEqual([5, 6, 7, 8, 9]);
    expect(() => r.int(3, 2)).toThrow(RangeError);
  });

  it("forks are deterministic, independent of each other by label, and do not replay the parent", () => {
    const a = createPrng(3).fork("redis");
    const b = createPrng(3).fork("redis");
    const c = createPrng(3).fork("qstash");
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    expect(seqA).not.toEqual(take(3, 5));
  });

  it("rejects a seed that is not an integer, and hashes labels stably", () => {
    expect(() => createPrng(1.5)).toThrow(RangeError);
    expect(hash32("abc")).toBe(hash32("abc"));
    expect(hash32("abc")).not.toBe(hash32("abd"));
  });
});
