import { describe, expect, it } from "vitest";
import { parseBenchArgs } from "../../../local/bench/args.js";
import {
  BENCH_MAX_NODES,
  FULL_SETTINGS,
  isFullRun,
  planRuns,
  prepareWorkload,
  QUICK_SETTINGS,
} from "../../../local/bench/plan.js";
import { readWorkload, reviewAllWorkload } from "../../../local/bench/workloads.js";

describe("prepareWorkload", () => {
  it("scales the critical path to the target and keeps the shape's barrier ratio", () => {
    const p = prepareWorkload(readWorkload("viralrecon-dirt02-001"), 5000, [4, 16]);
    expect(p.summary.scaleMsPerSecond).toBeCloseTo(5000 / 487.89, 2);
    // Latencies are rounded to whole ms, so the scaled critical path is within a few ms of the target.
    expect(Math.abs(p.summary.criticalPathMs - 5000)).toBeLessThan(20);
    expect(p.summary.barrierOverCriticalPath).toBeCloseTo(2.59, 1);
    expect(p.summary.listScheduleMs["P4"]!.dep).toBeGreaterThan(p.summary.criticalPathMs);
    expect(p.summary.nodes).toBe(203);
  });

  it("gives review-all calls of a third of the target each (three on the critical path)", () => {
    const p = prepareWorkload(reviewAllWorkload(), 3000, []);
    expect(p.summary.scaleMsPerSecond).toBe(1000);
    expect(p.summary.criticalPathHops).toBe(3);
  });
});

describe("planRuns", () => {
  it("runs eager, levels, LangGraph, sequential and each limit, in that order", () => {
    const p = prepareWorkload(readWorkload("methylseq-dirt02-001"), 2000, [4, 16]);
    const runs = planRuns(p, { runBudgetMs: 60_000, concurrencyLimits: [4, 16], peer: true });
    expect(runs.map((r) => `${r.executor}/${r.mode}/${r.concurrency}`)).toEqual([
      "agent-dag/eager/1000",
      "agent-dag/levels/1000",
      "langgraph/supersteps/1000",
      "agent-dag/sequential/1",
      "agent-dag/eager/4",
      "agent-dag/eager/16",
    ]);
    expect(runs.every((r) => r.skip === undefined)).toBe(true);
    expect(runs[3]!.expectedMs).toBe(p.summary.totalWorkMs);
  });

  it("marks runs over the budget as not run, saying how long they would take", () => {
    const p = prepareWorkload(readWorkload("1000genome-chameleon-22ch-250k-001"), 5000, [4]);
    const runs = planRuns(p, { runBudgetMs: 240_000, concurrencyLimits: [4], peer: false });
    const seq = runs.find((r) => r.mode === "sequential")!;
    expect(seq.skip).toBe(`not run (would take ${Math.round(p.summary.totalWorkMs / 1000)} s; budget 240 s)`);
    expect(Math.round(p.summary.totalWorkMs / 1000)).toBe(851);
    expect(runs.find((r) => r.scenario === "concurrency")!.skip).toBeUndefined();
  });

  it("runs bwa (1,004 nodes) on the engine too: the bench's worker accepts up to BENCH_MAX_NODES", () => {
    const p = prepareWorkload(readWorkload("bwa-chameleon-large-001"), 1000, []);
    const runs = planRuns(p, { runBudgetMs: 1e9, concurrencyLimits: [], peer: true });
    expect(runs.filter((r) => r.skip === undefined).map((r) => `${r.executor}/${r.mode}`)).toEqual([
      "agent-dag/eager",
      "agent-dag/levels",
      "langgraph/supersteps",
      "agent-dag/sequential",
    ]);
    expect(BENCH_MAX_NODES).toBeGreaterThanOrEqual(1004);
  });

  it("only a plain full run counts as the full run that replaces latest.*", () => {
    expect(isFullRun(parseBenchArgs([]).settings)).toBe(true);
    expect(isFullRun(parseBenchArgs(["--out", "/tmp/x", "--strict"]).settings)).toBe(true);
    expect(isFullRun(parseBenchArgs(["--quick"]).settings)).toBe(false);
    expect(isFullRun(parseBenchArgs(["--workloads", "viralrecon,airrflow"]).settings)).toBe(false);
    expect(isFullRun(parseBenchArgs(["--cp-ms", "10000"]).settings)).toBe(false);
    expect(isFullRun(parseBenchArgs(["--repeats", "1"]).settings)).toBe(false);
    expect(isFullRun(parseBenchArgs(["--via-proxy"]).settings)).toBe(false);
    expect(isFullRun(parseBenchArgs(["--local-observability"]).settings)).toBe(false);
  });

  it("keeps --quick to four workloads with short critical paths", () => {
    expect(QUICK_SETTINGS.workloads).toEqual(["review-all", "methylseq", "viralrecon", "airrflow"]);
    expect(QUICK_SETTINGS.criticalPathTargetMs).toBeLessThan(FULL_SETTINGS.criticalPathTargetMs);
  });
});
