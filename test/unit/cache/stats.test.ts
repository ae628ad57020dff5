import { describe, expect, it } from "vitest";
import { countsOf, statsFromHash } from "../../../shared/cache/stats.js";

describe("cache stats arithmetic", () => {
  it("counts hits and shared calls as served from the cache", () => {
    expect(countsOf({ hits: 6, shared: 2, misses: 2, savedTokens: 900, savedMicroUsd: 1_250_000 })).toEqual({
      hits: 6,
      misses: 2,
      shared: 2,
      lookups: 10,
      hitRate: 0.8,
      savedTokens: 900,
      savedMicroUsd: 1_250_000,
      savedUsd: 1.25,
    });
  });

  it("has no hit rate before the first lookup", () => {
    expect(countsOf({}).hitRate).toBeNull();
    expect(countsOf({ misses: 3 }).hitRate).toBe(0);
  });

  const hash = {
    hits: "3",
    misses: "2",
    shared: "1",
    savedTokens: "400",
    savedMicroUsd: "5000",
    "wf:review-all:hits": "3",
    "wf:review-all:misses": "1",
    "wf:review-all:savedTokens": "300",
    "wf:review-all:savedMicroUsd": "4000",
    "wf:nightly:misses": "1",
    "wf:nightly:shared": "1",
    "wf:nightly:savedTokens": "100",
    "wf:nightly:savedMicroUsd": "1000",
    "wf:nightly:bogus": "9",
    junk: "x",
  };

  it("splits a tenant's hash into totals and workflows", () => {
    const s = statsFromHash(hash);
    expect(s).toMatchObject({
      hits: 3,
      misses: 2,
      shared: 1,
      lookups: 6,
      hitRate: 4 / 6,
      savedTokens: 400,
      savedUsd: 0.005,
    });
    expect(Object.keys(s.byWorkflow).sort()).toEqual(["nightly", "review-all"]);
    expect(s.byWorkflow["review-all"]).toMatchObject({
      hits: 3,
      misses: 1,
      shared: 0,
      hitRate: 0.75,
      savedMicroUsd: 4000,
    });
    expect(s.byWorkflow["nightly"]).toMatchObject({ hits: 0, misses: 1, shared: 1, hitRate: 0.5, savedTokens: 100 });
  });

  it("reports one workflow's counters as the totals when asked for it", () => {
    const s = statsFromHash(hash, "nightly");
    expect(s).toMatchObject({ hits: 0, misses: 1, shared: 1, lookups: 2, savedMicroUsd: 1000 });
    expect(Object.keys(s.byWorkflow)).toEqual(["nightly"]);
    expect(statsFromHash(hash, "unknown")).toMatchObject({
      lookups: 0,
      hitRate: null,
      byWorkflow: { unknown: { lookups: 0 } },
    });
  });
});
