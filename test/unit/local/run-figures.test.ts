import { describe, expect, it } from "vitest";
import { computeRunFigures, formatFigures, perHopOverheadMs, statsDelta } from "../../../local/run-figures";
import { emptyStats } from "../../../local/stats";
import { at, costedView, runningView } from "./fixtures";

const finished = () =>
  runningView({
    status: "completed",
    finishedAt: at(3300),
    makespanMs: 3300,
    criticalPath: { nodes: ["codebase-analyzer", "quality-reviewer", "senior-reviewer"], durationMs: 3000 },
    makespanOverCriticalPath: 1.1,
  });

describe("perHopOverheadMs", () => {
  it("spreads the time outside the critical path over its hops", () => {
    expect(perHopOverheadMs(3300, 3000, 3)).toBe(100);
    expect(perHopOverheadMs(1000, 1000, 1)).toBe(0);
  });
  it("is null when the run is unfinished or has no hops", () => {
    expect(perHopOverheadMs(null, 3000, 3)).toBeNull();
    expect(perHopOverheadMs(3300, 0, 0)).toBeNull();
  });
});

describe("statsDelta", () => {
  it("subtracts every counter", () => {
    const before = { ...emptyStats(), redisCommands: 10, qstashMessagesPublished: 2 };
    const after = { ...emptyStats(), redisCommands: 75, qstashMessagesPublished: 9, qstashDeliveries: 7 };
    expect(statsDelta(before, after)).toEqual({
      ...emptyStats(),
      redisCommands: 65,
      qstashMessagesPublished: 7,
      qstashDeliveries: 7,
    });
  });
});

describe("computeRunFigures", () => {
  it("takes makespan, critical path and tokens from the final view", () => {
    const traffic = { ...emptyStats(), qstashMessagesPublished: 7 };
    expect(computeRunFigures(finished(), traffic)).toEqual({
      makespanMs: 3300,
      criticalPathMs: 3000,
      criticalPath: ["codebase-analyzer", "quality-reviewer", "senior-reviewer"],
      ratio: 1.1,
      hops: 3,
      perHopOverheadMs: 100,
      inputTokens: 600,
      outputTokens: 212,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.004,
      traffic,
    });
  });

  it("computes the ratio itself when the view has none, and reports no makespan while running", () => {
    expect(computeRunFigures({ ...finished(), makespanOverCriticalPath: null }, null).ratio).toBe(1.1);
    const running = computeRunFigures(runningView(), null);
    expect(running.makespanMs).toBeNull();
    expect(running.perHopOverheadMs).toBeNull();
    expect(running.ratio).toBeNull();
  });

  it("formats the figures for people", () => {
    const traffic = {
      ...emptyStats(),
      qstashMessagesPublished: 7,
      qstashDeliveries: 7,
      qstashCallbacks: 7,
      redisCommands: 120,
      redisRequests: 40,
    };
    expect(formatFigures(computeRunFigures(finished(), traffic))).toEqual([
      "  makespan                 3.30 s",
      "  critical path            3.00 s  codebase-analyzer → quality-reviewer → senior-reviewer",
      "  makespan / critical path 1.10",
      "  overhead per hop         100 ms  ((makespan − critical path) / 3 hops)",
      "  tokens                   600 in / 212 out",
      "  cost                     $0.004000",
      "  QStash                   7 messages published · 7 deliveries · 7 callbacks · 0 failure callbacks · 0 dead letters",
      "  Redis                    120 commands in 40 HTTP requests",
    ]);
  });

  it("adds prompt-cache tokens when there are any, and the cost to the micro-dollar", () => {
    const lines = formatFigures(computeRunFigures(costedView(), null));
    expect(lines).toContain("  tokens                   13.1k in / 900 out · cache read 1.5k · cache write 2.0k");
    expect(lines).toContain("  cost                     $0.300123");
  });
});
