import { describe, expect, it } from "vitest";
import type { RunAudit } from "../../../local/chaos/audit.js";
import { detailLines, faultsSeenBy, suiteFigures, summaryLine } from "../../../local/chaos/summary.js";

function audit(over: Partial<RunAudit>): RunAudit {
  return {
    tag: "s1-r0",
    runId: "run_x",
    shape: "deep",
    nodes: 3,
    outcome: "completed",
    reason: null,
    stuckNodes: [],
    lostOutputs: [],
    callsPerNode: { zero: 0, one: 3, twoPlus: 0 },
    totalsMismatch: [],
    tokenMismatches: [],
    estimated: { calls: 0, unbilled: 0, overTokens: 0 },
    reconciled: { calls: 0, voided: 0 },
    tokens: { totals: 180, nodeSum: 180, issued: 180 },
    usd: { totals: 0, nodeSum: 0, issued: 0 },
    budgetOverrun: null,
    faults: {},
    nodeFaults: {},
    ...over,
  };
}

describe("suite report", () => {
  const audits = [
    audit({}),
    audit({ tag: "s1-r1", outcome: "stuck", stuckNodes: ["n2:queued"], faults: { duplicate: 2, redisDelay: 1 } }),
    audit({
      tag: "s1-r2",
      outcome: "failed",
      reason: "run budget exceeded",
      usd: { totals: 0.5, nodeSum: 0.5, issued: 0.499998 },
    }),
    audit({ tag: "s1-r3", outcome: "failed", reason: "run budget exceeded" }),
    audit({
      tag: "s1-r4",
      faults: { lostAnswer: 1 },
      nodeFaults: { n1: { lostAnswer: 1 } },
      tokens: { totals: 120, nodeSum: 120, issued: 180 },
      callsPerNode: { zero: 1, one: 1, twoPlus: 1 },
      tokenMismatches: [
        {
          nodeId: "n1",
          recorded: 0,
          issued: 60,
          calls: 1,
          paidCalls: 1,
          cache: "hit",
          status: "done",
          why: "cache-hit-after-paid-call",
          kind: "under",
          estimatedCalls: 0,
        },
      ],
    }),
    audit({ tag: "s1-r5", lostOutputs: ["n2:no-output"], budgetOverrun: { budget: 10, recorded: 11, issued: 11 } }),
  ];
  const f = suiteFigures(audits, 2);

  it("adds the audits up", () => {
    expect(f).toMatchObject({
      runs: 6,
      completed: 3,
      failed: 2,
      stuck: 1,
      failedBecause: [["run budget exceeded", 2]],
      lostRuns: 1,
      lostOutputs: 1,
      callsPerNode: { zero: 1, one: 16, twoPlus: 1 },
      underCountedRuns: 1,
      underCountedTokens: 60,
      doubleCountedRuns: 0,
      budgetRuns: 2,
      budgetOverruns: 1,
    });
    expect(f.tokens).toEqual({ totals: 1020, nodeSum: 1020, issued: 1080 });
    expect(f.usdMicro).toEqual({ totals: 500_000, nodeSum: 500_000, issued: 499_998, maxRunDiff: 2 });
  });

  it("prints one summary line with every figure, and one detail line per run with a problem", () => {
    const line = summaryLine(f, { seed: 1, faults: { duplicate: 4, workerKill: 1 }, restarts: 1, elapsedMs: 12_300 });
    expect(line).not.toContain("\n");
    for (const part of [
      "runs=6",
      "completed=3",
      "failed=2 (2× run budget exceeded)",
      "stuck=1",
      "lost=1 outputs in 1 runs",
      "calls/node 0:1 1:16 2+:1",
      "tokens totals=1020 nodes=1020 issued=1080",
      "under-counted=1 runs (-60 tok)",
      "usd totals=0.5 nodes=0.5 issued=0.499998 (largest run difference 2 µUSD)",
      "budget overruns=1/2",
      "faults duplicate=4 workerKill=1",
    ]) {
      expect(line).toContain(part);
    }
    const details = detailLines(audits);
    expect(details).toHaveLength(5);
    expect(details[0]).toBe("s1-r1 run_x deep/3: STUCK [n2:queued] {faults: duplicate=2 redisDelay=1}");
    expect(details.find((d) => d.startsWith("s1-r4"))).toContain("UNDER n1 recorded=0 issued=60");
    expect(details.find((d) => d.startsWith("s1-r5"))).toContain("BUDGET OVERRUN budget=10");
  });

  it("says which fault kinds the runs with each problem went through, against all runs", () => {
    expect(faultsSeenBy(audits)).toEqual([
      "stuck (1 runs) went through: duplicate 1/1, redisDelay 1/1",
      "lost (1 runs) went through: no fault",
      "under-counted (1 runs) went through: lostAnswer 1/1",
      "all runs (6 runs) went through: duplicate 1/6, lostAnswer 1/6, redisDelay 1/6",
      "stuck nodes (open, not pending) (1) went through: no fault",
      "under-counted nodes (cache-hit-after-paid-call) (1) went through: lostAnswer 1/1",
      "all nodes (18) went through: lostAnswer 1/18",
    ]);
  });
});
