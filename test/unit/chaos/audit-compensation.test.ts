import { describe, expect, it } from "vitest";
import { auditRun, type ObservedRun } from "../../../local/chaos/audit.js";
import type { ChaosRunSpec } from "../../../local/chaos/dag-generator.js";
import type { IssuedForNode } from "../../../local/chaos/provider-ledger.js";
import type { CompensationNodeView } from "../../../shared/progress/compensation-view.js";
import type { NodeView, RunView } from "../../../shared/progress/run-view.js";

/** The chaos audit counts a run's compensations (paid calls too) in its totals and books. */

const MODEL = "claude-haiku-4-5";
const usage = (input: number, output: number) => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});
const issued = (input: number, output: number): IssuedForNode => ({
  calls: 1,
  paidCalls: 1,
  tokens: usage(input, output),
  paidTokens: [input + output],
  model: MODEL,
});
const node = (id: string, status: string, u: ReturnType<typeof usage> | null): NodeView =>
  ({
    id,
    agent: "chaos",
    status,
    attempts: u ? 1 : 0,
    usage: u,
    costUsd: 0,
    cache: "miss",
    paidCalls: u ? [{ attempt: 1, tokens: u.inputTokens + u.outputTokens, estimated: false }] : [],
  }) as unknown as NodeView;
const comp = (id: string, u: ReturnType<typeof usage>): CompensationNodeView => ({
  id: `${id}~compensate`,
  node: id,
  status: "done",
  attempts: 1,
  startedAt: null,
  finishedAt: null,
  error: null,
  excerpt: "undone",
  usage: u,
  costUsd: 0,
  paidCalls: [{ attempt: 1, tokens: u.inputTokens + u.outputTokens, estimated: false }],
});

describe("auditRun with compensations", () => {
  const spec: ChaosRunSpec = {
    tag: "s1-r0",
    shape: "deep",
    nodes: [
      { id: "a", dependsOn: [] },
      { id: "b", dependsOn: ["a"] },
    ],
    budgetTokens: null,
    compensated: ["a"],
    failing: "b",
    body: { workflow: {}, input: {} },
  };
  const view = (compUsage: ReturnType<typeof usage>) =>
    ({
      runId: "run_x",
      status: "failed",
      levels: [{ level: 1, title: "", nodes: [node("a", "done", usage(10, 50)), node("b", "failed", null)] }],
      totals: { ...usage(10 + compUsage.inputTokens, 50 + compUsage.outputTokens), costUsd: 0 },
      compensation: {
        status: "completed",
        runStatus: "failed",
        reason: "b: too long",
        startedAt: null,
        finishedAt: null,
        nodes: [comp("a", compUsage)],
      },
    }) as unknown as RunView;
  const seen = (v: RunView): ObservedRun => ({
    runId: "run_x",
    startError: null,
    terminalByDeadline: true,
    view: v,
    outputs: {},
    faults: {},
    nodeFaults: {},
  });

  it("finds the totals equal to nodes plus compensations, and the compensation's books right", () => {
    const ledger = new Map([
      ["a", issued(10, 50)],
      ["a~compensate", issued(30, 20)],
    ]);
    const a = auditRun(spec, seen(view(usage(30, 20))), ledger);
    expect(a.outcome).toBe("failed");
    expect(a.totalsMismatch).toEqual([]);
    expect(a.tokenMismatches).toEqual([]);
    expect(a.tokens).toEqual({ totals: 110, nodeSum: 110, issued: 110 });
  });

  it("flags a compensation call the books missed", () => {
    const ledger = new Map([
      ["a", issued(10, 50)],
      ["a~compensate", { ...issued(30, 20), calls: 2, paidCalls: 2, paidTokens: [50, 50] }],
    ]);
    const a = auditRun(spec, seen(view(usage(30, 20))), ledger);
    expect(a.tokenMismatches.map((m) => [m.nodeId, m.why])).toEqual([["a~compensate", "unbooked-call"]]);
  });
});
