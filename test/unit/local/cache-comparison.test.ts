import { describe, expect, it } from "vitest";
import {
  cacheStatsDelta,
  compareCachedRuns,
  comparedRun,
  formatCacheComparison,
  providerCallsFromView,
  sameOutputs,
} from "../../../local/cache-comparison";
import type { CacheStatsBody } from "../../../local/run-view";
import { cachedView, costedView, node, runningView } from "./fixtures";

const SOURCE = "nodes whose cache outcome was miss";

function stats(over: Partial<CacheStatsBody> = {}): CacheStatsBody {
  return {
    tenant: "dev",
    hits: 0,
    misses: 0,
    shared: 0,
    lookups: 0,
    hitRate: null,
    savedTokens: 0,
    savedMicroUsd: 0,
    savedUsd: 0,
    byWorkflow: {},
    ...over,
  };
}

describe("providerCallsFromView", () => {
  it("counts misses and done nodes without the cache, not hits, shared calls or unfinished nodes", () => {
    expect(providerCallsFromView(costedView())).toBe(3);
    expect(providerCallsFromView(cachedView())).toBe(0);
    const mixed = cachedView();
    mixed.levels[0]!.nodes[0]!.cache = "miss";
    mixed.levels[2]!.nodes[0]!.cache = null; // cache off for this node: it called the provider
    expect(providerCallsFromView(mixed)).toBe(2);
    // running view: one done node without a cache outcome, the others not finished
    expect(providerCallsFromView(runningView())).toBe(1);
  });
});

describe("compareCachedRuns", () => {
  it("passes a completed second run with no provider call and a 100% hit rate, and gives the makespan ratio", () => {
    const c = compareCachedRuns(comparedRun(costedView(), 3), comparedRun(cachedView(), 0), SOURCE, true);
    expect(c.ok).toBe(true);
    expect(c.problems).toEqual([]);
    expect(c.first).toMatchObject({ runId: "run_abc", makespanMs: 3000, providerCalls: 3 });
    expect(c.second).toMatchObject({ runId: "run_def", makespanMs: 120, providerCalls: 0 });
    expect(c.makespanRatio).toBeCloseTo(0.04, 10);
  });

  it("fails a second run that called the provider, missed, looked nothing up or did not complete", () => {
    const missed = cachedView({
      cache: { hits: 2, shared: 0, misses: 1, hitRate: 0.667, savedTokens: 100, savedUsd: 0.1 },
    });
    expect(compareCachedRuns(comparedRun(costedView(), 3), comparedRun(missed, 1), SOURCE, true).problems).toEqual([
      "the second run made 1 provider call",
      "the second run's hit rate is 66.7%, not 100%",
    ]);
    const none = cachedView({ cache: { hits: 0, shared: 0, misses: 0, hitRate: null, savedTokens: 0, savedUsd: 0 } });
    expect(compareCachedRuns(comparedRun(costedView(), 3), comparedRun(none, 0), SOURCE, null).problems).toEqual([
      "the second run looked nothing up in the cache",
    ]);
    const failed = compareCachedRuns(
      comparedRun(costedView(), 3),
      comparedRun(cachedView({ status: "failed" }), 0),
      SOURCE,
      null,
    );
    expect(failed).toMatchObject({ ok: false, problems: ["the second run ended failed"] });
  });

  it("has no ratio while a run is unfinished", () => {
    const unfinished = comparedRun(cachedView({ finishedAt: null }), 0);
    expect(unfinished.makespanMs).toBeNull();
    expect(compareCachedRuns(comparedRun(costedView(), 3), unfinished, SOURCE, null).makespanRatio).toBeNull();
  });
});

describe("sameOutputs", () => {
  const out = (outputs: Record<string, string | null>) => ({ runId: "r", status: "completed", outputs });
  it("compares every sink's text, and does not compare a missing output", () => {
    expect(sameOutputs(out({ a: "x", b: "y" }), out({ b: "y", a: "x" }))).toBe(true);
    expect(sameOutputs(out({ a: "x" }), out({ a: "z" }))).toBe(false);
    expect(sameOutputs(out({ a: "x" }), out({ a: "x", b: "y" }))).toBe(false);
    expect(sameOutputs(out({ a: "x" }), out({ a: null }))).toBeNull();
    expect(sameOutputs(null, out({ a: "x" }))).toBeNull();
  });
});

describe("cacheStatsDelta", () => {
  it("subtracts the earlier read exactly in micro-USD, or takes the totals without one", () => {
    const before = stats({ hits: 10, misses: 4, shared: 1, savedTokens: 5000, savedMicroUsd: 100_001 });
    const after = stats({ hits: 13, misses: 7, shared: 1, savedTokens: 22_500, savedMicroUsd: 400_124 });
    expect(cacheStatsDelta(before, after)).toEqual({
      hits: 3,
      shared: 0,
      misses: 3,
      savedTokens: 17_500,
      savedMicroUsd: 300_123,
      savedUsd: 0.300123,
    });
    expect(cacheStatsDelta(null, after)).toMatchObject({ hits: 13, misses: 7, savedMicroUsd: 400_124 });
  });
});

describe("formatCacheComparison", () => {
  it("prints makespans, calls, both runs' cache lines, savings, outputs, the tenant's stats and the verdict", () => {
    const c = compareCachedRuns(comparedRun(costedView(), 3), comparedRun(cachedView(), 0), SOURCE, true);
    const after = stats({
      hits: 2,
      shared: 1,
      misses: 3,
      lookups: 6,
      hitRate: 0.5,
      savedTokens: 17_500,
      savedMicroUsd: 300_123,
      savedUsd: 0.300123,
      byWorkflow: {
        "review-all": {
          hits: 2,
          shared: 1,
          misses: 3,
          lookups: 6,
          hitRate: 0.5,
          savedTokens: 17_500,
          savedMicroUsd: 300_123,
          savedUsd: 0.300123,
        },
      },
    });
    expect(formatCacheComparison(c, { after, delta: cacheStatsDelta(null, after) })).toEqual([
      "  makespan                 first 3.00 s · second 0.12 s · second / first 0.040 (25.0× shorter)",
      "  provider calls           first 3 · second 0  (nodes whose cache outcome was miss)",
      "  first run                run_abc  cache 0 hits · 0 shared · 3 misses (0%) · saved 0 tok / $0",
      "  second run               run_def  cache 2 hits · 1 shared · 0 misses (100%) · saved 17.5k tok / $0.3001",
      "  hit rate (second run)    100%",
      "  saved (second run)       17500 tokens (17.5k) · $0.300123",
      "  outputs                  identical in both runs",
      "  tenant cache stats       2 hits · 1 shared · 3 misses (50%) · saved 17.5k tok / $0.3001  (GET /v1/cache/stats, tenant dev)",
      "    review-all             2 hits · 1 shared · 3 misses (50%) · saved 17.5k tok / $0.3001",
      "    these two runs         2 hits · 1 shared · 3 misses (50%) · saved 17.5k tok / $0.3001",
      "  check                    second run: 0 provider calls, hit rate 100%  ✔",
    ]);
  });

  it("names every problem in the verdict and leaves the stats out when not given", () => {
    const second = cachedView({ cache: { hits: 0, shared: 0, misses: 3, hitRate: 0, savedTokens: 0, savedUsd: 0 } });
    second.levels[0]!.nodes[0] = node("brief", { status: "done", cache: "miss" });
    const c = compareCachedRuns(comparedRun(costedView(), 3), comparedRun(second, 3), SOURCE, false);
    const lines = formatCacheComparison(c, null);
    expect(lines.some((l) => l.includes("tenant cache stats"))).toBe(false);
    expect(lines).toContain("  outputs                  differ between the runs");
    expect(lines.at(-1)).toBe(
      "  check                    ✖ the second run made 3 provider calls; the second run's hit rate is 0%, not 100%",
    );
  });
});
