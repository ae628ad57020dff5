import { describe, expect, it } from "vitest";
import { MAX_EXTRA_SAMPLES, medianRun, wantsAnotherSample } from "../../../local/bench/repeats.js";
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
    expect(medianRun([run(5300), run(5100), run(5900)]).makespanMs).toBe(5300);
    const r = medianRun([run(5300, "completed", 1), run(5100, "completed", 2), run(5900, "completed", 30)]);
    expect(r.makespanMs).toBe(5300); // the slower of the two counted ones
    expect(r.samples).toEqual([
      { makespanMs: 5300, stealPct: 1, counted: true },
      { makespanMs: 5100, stealPct: 2, counted: true },
      { makespanMs: 5900, stealPct: 30, counted: false },
    ]);
  });

  it("leaves out samples taken while the hypervisor stole more than 5% of the CPU, unless none was quiet", () => {
    expect(
      medianRun([run(7800, "completed", 22), run(5300, "completed", 1), run(5200, "completed", 0)]).makespanMs,
    ).toBe(5300);
    expect(
      medianRun([run(7800, "completed", 22), run(7400, "completed", 30), run(8300, "completed", 25)]).makespanMs,
    ).toBe(7800);
  });

  it("asks for more samples until enough were quiet, at most MAX_EXTRA_SAMPLES more, and never after a failure", () => {
    expect(MAX_EXTRA_SAMPLES).toBe(3); // docs/performance.md: "at most six times" with --repeats 3
    expect(wantsAnotherSample([run(5100), run(5200)], 3)).toBe(true);
    expect(wantsAnotherSample([run(5100), run(5200), run(5300)], 3)).toBe(false);
    expect(wantsAnotherSample([run(5100), run(5200), run(7000, "completed", 20)], 3)).toBe(true);
    const noisy = Array.from({ length: 3 + MAX_EXTRA_SAMPLES }, () => run(7000, "completed", 20));
    expect(wantsAnotherSample(noisy, 3)).toBe(false);
    expect(wantsAnotherSample([run(null, "timeout")], 3)).toBe(false);
  });

  it("takes the slower middle of an even count", () => {
    expect(medianRun([run(5400), run(5100), run(5300), run(5200)]).makespanMs).toBe(5300);
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
