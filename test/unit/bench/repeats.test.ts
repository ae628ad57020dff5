import { describe, expect, it } from "vitest";
import { medianRun } from "../../../local/bench/repeats.js";
import type { RunResult } from "../../../local/bench/results.js";
import { sampleResults } from "./fixtures.js";

const base = sampleResults().runs.find((r) => r.outcome === "completed")!;
const run = (makespanMs: number | null, outcome: RunResult["outcome"] = "completed", stealPct = 5): RunResult => ({
  ...base,
  outcome,
  makespanMs,
  cpu: { busyPct: 30, stealPct },
});

describe("medianRun", () => {
  it("reports the median-makespan measurement with every sample, in the order measured", () => {
    const r = medianRun([run(5300, "completed", 1), run(5100, "completed", 2), run(5900, "completed", 30)]);
    expect(r.makespanMs).toBe(5300);
    expect(r.samples).toEqual([
      { makespanMs: 5300, stealPct: 1 },
      { makespanMs: 5100, stealPct: 2 },
      { makespanMs: 5900, stealPct: 30 },
    ]);
  });

  it("takes the lower middle of an even count", () => {
    expect(medianRun([run(5400), run(5100), run(5300), run(5200)]).makespanMs).toBe(5200);
  });

  it("never hides a failure behind a median", () => {
    const r = medianRun([run(5100), run(null, "timeout")]);
    expect(r.outcome).toBe("timeout");
    expect(r.samples).toHaveLength(2);
  });

  it("returns a single measurement unchanged (no samples field)", () => {
    expect(medianRun([run(5100)])).not.toHaveProperty("samples");
  });

  it("refuses an empty list", () => {
    expect(() => medianRun([])).toThrow(RangeError);
  });
});
