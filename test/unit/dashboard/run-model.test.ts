import { describe, expect, it } from "vitest";
import { clearApiKey, maskKey, storeApiKey, storedApiKey } from "../../../dashboard/src/auth.js";
import {
  budgetShares,
  criticalEdgeKeys,
  parseRoute,
  runActions,
  runHref,
  timelineBars,
} from "../../../dashboard/src/run-model.js";
import { at, runningView } from "../local/fixtures.js";

describe("routes", () => {
  it("reads a run page from the hash and everything else as the runs list", () => {
    expect(parseRoute("#/runs/run_0123456789abcdef0123456789")).toEqual({
      page: "run",
      runId: "run_0123456789abcdef0123456789",
    });
    expect(parseRoute("")).toEqual({ page: "runs" });
    expect(parseRoute("#/runs")).toEqual({ page: "runs" });
    expect(parseRoute("#/runs/%E0%A4%A")).toEqual({ page: "runs" }); // malformed escape
    expect(parseRoute(runHref("run a/b"))).toEqual({ page: "run", runId: "run a/b" });
  });
});

describe("runActions", () => {
  it("allows Cancel while running, Retry after a failure or cancel, Rerun once ended", () => {
    expect(runActions("running")).toEqual({ cancel: true, retry: false, rerun: false });
    expect(runActions("completed")).toEqual({ cancel: false, retry: false, rerun: true });
    expect(runActions("failed")).toEqual({ cancel: false, retry: true, rerun: true });
    expect(runActions("cancelled")).toEqual({ cancel: false, retry: true, rerun: true });
  });
});

describe("timelineBars", () => {
  it("orders bars by start, ends a running node at now, and skips nodes that never started", () => {
    const view = runningView();
    const { bars, spanMs } = timelineBars(view, Date.parse(at(5000)));
    const started = view.levels.flatMap((l) => l.nodes).filter((n) => n.startedAt);
    expect(bars).toHaveLength(started.length);
    expect(bars.map((b) => b.startMs)).toEqual([...bars.map((b) => b.startMs)].sort((a, b) => a - b));
    for (const b of bars.filter((x) => x.status === "running")) expect(b.endMs).toBe(spanMs);
    expect(spanMs).toBeGreaterThanOrEqual(Math.max(...bars.map((b) => b.endMs)));
  });
});

describe("budgetShares", () => {
  it("counts reserved use against each limit that is set", () => {
    const budgetUsage = {
      usedTokens: 500,
      reservedTokens: 250,
      limitTokens: 1000,
      usedUsd: 0.1,
      reservedUsd: 0,
      usedMicroUsd: 100_000,
      reservedMicroUsd: 0,
    };
    expect(budgetShares({ budgetUsage })).toEqual({ tokens: 0.75, usd: null });
    expect(budgetShares({ budgetUsage: null })).toEqual({ tokens: null, usd: null });
  });
});

describe("criticalEdgeKeys", () => {
  it("maps consecutive path nodes to item keys and drops edges inside one bundle", () => {
    const itemOf = new Map([
      ["a", "a"],
      ["b1", "bundle:b1"],
      ["b2", "bundle:b1"],
      ["c", "c"],
    ]);
    expect([...criticalEdgeKeys(["a", "b1", "c"], itemOf)]).toEqual(["a→bundle:b1", "bundle:b1→c"]);
    expect([...criticalEdgeKeys(["b1", "b2"], itemOf)]).toEqual([]);
  });
});

describe("API key storage", () => {
  it("stores a trimmed key for the tab, refuses an empty one, and forgets it on sign-out", () => {
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
    expect(storedApiKey(storage)).toBeNull();
    storeApiKey("  dev-key ", storage);
    expect(storedApiKey(storage)).toBe("dev-key");
    expect(() => storeApiKey("   ", storage)).toThrow(TypeError);
    clearApiKey(storage);
    expect(storedApiKey(storage)).toBeNull();
    expect(maskKey("dev-key")).toBe("••••-key");
  });
});
