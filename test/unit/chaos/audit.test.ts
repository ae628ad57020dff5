import { describe, expect, it } from "vitest";
import { auditRun, foldReason, type ObservedRun } from "../../../local/chaos/audit.js";
import type { ChaosRunSpec } from "../../../local/chaos/dag-generator.js";
import type { IssuedForNode } from "../../../local/chaos/provider-ledger.js";
import { costUsd } from "../../../shared/pricing/cost.js";
import { DEFAULT_PRICES } from "../../../shared/pricing/prices.js";
import type { NodeView, RunView } from "../../../shared/progress/run-view.js";

const MODEL = "claude-haiku-4-5";

/** a -> b, a -> c: sinks b and c. */
function spec(budgetTokens: number | null = null): ChaosRunSpec {
  return {
    tag: "s1-r0",
    shape: "random",
    nodes: [
      { id: "a", dependsOn: [] },
      { id: "b", dependsOn: ["a"] },
      { id: "c", dependsOn: ["a"] },
    ],
    budgetTokens,
    body: { workflow: {}, input: {} },
  };
}

const usage = (input: number, output: number) => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});
const price = (input: number, output: number) => costUsd(MODEL, usage(input, output), DEFAULT_PRICES);

function node(id: string, over: Partial<NodeView> = {}): NodeView {
  return {
    id,
    agent: "chaos",
    status: "done",
    attempts: 1,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    usage: usage(10, 50),
    costUsd: price(10, 50),
    model: MODEL,
    route: null,
    cache: "miss",
    excerpt: null,
    error: null,
    ...over,
  };
}

/** A run view whose totals are the sum of its nodes unless `totals` says otherwise. */
function view(nodes: NodeView[], status = "completed", totals: Partial<RunView["totals"]> = {}): RunView {
  const sum = (f: (n: NodeView) => number) => nodes.reduce((s, n) => s + f(n), 0);
  return {
    runId: "run_x",
    workflow: "chaos-random",
    status,
    levels: [{ level: 0, title: "", nodes }],
    totals: {
      nodes: nodes.length,
      pending: 0,
      queued: 0,
      running: 0,
      retrying: 0,
      done: 0,
      failed: 0,
      skipped: 0,
      attempts: 0,
      inputTokens: sum((n) => n.usage?.inputTokens ?? 0),
      outputTokens: sum((n) => n.usage?.outputTokens ?? 0),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: Math.round(sum((n) => n.costUsd ?? 0) * 1e6) / 1e6,
      ...totals,
    },
  } as unknown as RunView;
}

const paid = (calls: number, paidCalls: number, input = 10, output = 50): IssuedForNode => ({
  calls,
  paidCalls,
  tokens: usage(input * paidCalls, output * paidCalls),
  paidTokens: Array.from({ length: paidCalls }, () => input + output),
  model: MODEL,
});
const ledger = (entries: Record<string, IssuedForNode>) => new Map(Object.entries(entries));
const oneCallEach = ledger({ a: paid(1, 1), b: paid(1, 1), c: paid(1, 1) });
const seen = (v: RunView | null, over: Partial<ObservedRun> = {}): ObservedRun => ({
  runId: "run_x",
  startError: null,
  terminalByDeadline: true,
  view: v,
  outputs: { b: "out b", c: "out c" },
  faults: {},
  nodeFaults: {},
  ...over,
});

describe("auditRun", () => {
  it("finds nothing wrong with a completed run that recorded exactly what the provider issued", () => {
    const a = auditRun(spec(), seen(view([node("a"), node("b"), node("c")])), oneCallEach);
    expect(a.outcome).toBe("completed");
    expect(a.lostOutputs).toEqual([]);
    expect(a.tokenMismatches).toEqual([]);
    expect(a.totalsMismatch).toEqual([]);
    expect(a.budgetOverrun).toBeNull();
    expect(a.callsPerNode).toEqual({ zero: 0, one: 3, twoPlus: 0 });
    expect(a.tokens).toEqual({ totals: 180, nodeSum: 180, issued: 180 });
    expect(Math.round(a.usd.issued * 1e6)).toBe(Math.round(a.usd.nodeSum * 1e6));
  });

  it("reports a run not terminal by its deadline as stuck, with its open nodes", () => {
    const v = view([node("a"), node("b", { status: "running" }), node("c", { status: "queued" })], "running");
    const a = auditRun(spec(), seen(v, { terminalByDeadline: false }), oneCallEach);
    expect(a.outcome).toBe("stuck");
    expect(a.stuckNodes).toEqual(["b:running", "c:queued"]);
  });

  it("reports lost outputs: a completed run with a node not done or a sink without output", () => {
    const v = view([node("a"), node("b"), node("c", { status: "queued" })]);
    const a = auditRun(spec(), seen(v, { outputs: { b: "out b", c: null } }), oneCallEach);
    expect(a.lostOutputs).toEqual(["c:not-done", "c:no-output"]);
  });

  it("flags a cache hit that recorded no usage after a paid call (under-counted, known bug 2)", () => {
    const v = view([node("a"), node("b", { usage: usage(0, 0), costUsd: 0, cache: "hit" }), node("c")]);
    const a = auditRun(spec(), seen(v), oneCallEach);
    expect(a.tokenMismatches).toEqual([
      {
        nodeId: "b",
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
    ]);
    expect(a.tokens.issued - a.tokens.nodeSum).toBe(60);
  });

  it("books: an exact call per billed call passes; a lost answer booked at its worst case passes as a bound", () => {
    const issued = ledger({ a: paid(2, 2), b: paid(1, 1), c: paid(1, 1) });
    const v = view([
      node("a", {
        usage: usage(10 + 400, 50 + 1024),
        paidCalls: [
          { attempt: 1, tokens: 1424, estimated: true },
          { attempt: 2, tokens: 60, estimated: false },
        ],
      }),
      node("b", { paidCalls: [{ attempt: 1, tokens: 60, estimated: false }] }),
      node("c", { paidCalls: [{ attempt: 1, tokens: 60, estimated: false }] }),
    ]);
    const a = auditRun(spec(), seen(v), issued);
    expect(a.tokenMismatches).toEqual([]);
    expect(a.estimated).toEqual({ calls: 1, unbilled: 0, overTokens: 1424 - 60 });
  });

  it("a budget holds when only an estimate (a bound) takes the recorded spend over it", () => {
    const over = { ...spec(), budgetTokens: 200 };
    const v = view(
      [
        node("a", {
          usage: usage(10 + 40, 50 + 60),
          paidCalls: [
            { attempt: 1, tokens: 100, estimated: true },
            { attempt: 2, tokens: 60, estimated: false },
          ],
        }),
        node("b"),
        node("c"),
      ],
      "completed",
      { estimatedTokens: 100 },
    );
    expect(auditRun(over, seen(v), oneCallEach).budgetOverrun).toBeNull();
    const exactOver = view([node("a", { usage: usage(100, 150) }), node("b"), node("c")]);
    expect(auditRun(over, seen(exactOver), oneCallEach).budgetOverrun).toEqual({
      budget: 200,
      recorded: 370,
      issued: 180,
    });
  });

  it("books: an estimate with no billed call left (its attempt died before the request) is an unbilled bound", () => {
    const v = view([
      node("a", {
        usage: usage(10 + 400, 50 + 1024),
        paidCalls: [
          { attempt: 1, tokens: 1424, estimated: true },
          { attempt: 2, tokens: 60, estimated: false },
        ],
      }),
      node("b"),
      node("c"),
    ]);
    const a = auditRun(spec(), seen(v), oneCallEach);
    expect(a.tokenMismatches).toEqual([]);
    expect(a.estimated).toEqual({ calls: 1, unbilled: 1, overTokens: 1424 });
  });

  it("books: a billed call missing, booked twice, an estimate below the call, or an exact call not billed fail", () => {
    const cases: [NonNullable<RunView["levels"][number]["nodes"][number]["paidCalls"]>, string, string][] = [
      [[], "unbooked-call", "under"],
      [
        [
          { attempt: 1, tokens: 60, estimated: false },
          { attempt: 2, tokens: 60, estimated: false },
        ],
        "booked-twice",
        "double",
      ],
      [[{ attempt: 1, tokens: 59, estimated: true }], "estimate-below-issued", "under"],
      [[{ attempt: 1, tokens: 61, estimated: false }], "exact-not-issued", "double"],
    ];
    for (const [paidCalls, why, kind] of cases) {
      const v = view([node("a", { paidCalls }), node("b"), node("c")]);
      const a = auditRun(spec(), seen(v), oneCallEach);
      expect(a.tokenMismatches.map((m) => [m.nodeId, m.why, m.kind])).toEqual([["a", why, kind]]);
    }
  });

  it("flags a second paid call the node did not count, and counts calls per node 0/1/2+", () => {
    const issued = ledger({ a: paid(3, 2), b: paid(1, 1) });
    const v = view([node("a"), node("b"), node("c", { status: "skipped", usage: null, costUsd: null })], "failed");
    const a = auditRun(spec(), seen(v), issued);
    expect(a.tokenMismatches.map((m) => [m.nodeId, m.why, m.recorded, m.issued])).toEqual([
      ["a", "extra-paid-call", 60, 120],
    ]);
    expect(a.callsPerNode).toEqual({ zero: 1, one: 1, twoPlus: 1 });
  });

  it("flags usage recorded twice (double-counted) and totals that are not the sum of the nodes", () => {
    const v = view([node("a", { usage: usage(20, 100) }), node("b"), node("c")], "completed", { outputTokens: 999 });
    const a = auditRun(spec(), seen(v), oneCallEach);
    expect(a.tokenMismatches).toMatchObject([{ nodeId: "a", recorded: 120, issued: 60, why: "other" }]);
    expect(a.totalsMismatch).toEqual(["outputTokens: 999 vs 200"]);
  });

  it("flags a budget overrun on recorded or issued input + output tokens, and not at the limit", () => {
    const v = view([node("a"), node("b"), node("c")]);
    expect(auditRun(spec(180), seen(v), oneCallEach).budgetOverrun).toBeNull();
    expect(auditRun(spec(179), seen(v), oneCallEach).budgetOverrun).toEqual({
      budget: 179,
      recorded: 180,
      issued: 180,
    });
    const extra = ledger({ a: paid(2, 2), b: paid(1, 1), c: paid(1, 1) });
    expect(auditRun(spec(200), seen(v), extra).budgetOverrun).toEqual({ budget: 200, recorded: 180, issued: 240 });
  });

  it("gives a failed run the first failed node's error, folded; a start error stays a start error", () => {
    const v = view(
      [
        node("a", { status: "failed", error: "run budget exceeded: needs 1,024 tokens, 12 left" }),
        node("b"),
        node("c"),
      ],
      "failed",
    );
    expect(auditRun(spec(), seen(v), oneCallEach).reason).toBe("run budget exceeded: needs # tokens, # left");
    const never = auditRun(spec(), seen(null, { runId: null, startError: "POST /v1/runs: 503" }), new Map());
    expect(never.outcome).toBe("start-error");
    expect(never.reason).toBe("POST /v1/runs: 503");
  });
});

it("foldReason folds numbers and run ids so equal causes group", () => {
  expect(foldReason("run_0123456789abcdef0123456789 at 3.5 s, 1,000 tokens")).toBe("run_… at # s, # tokens");
});

it("auditRun names a paid call of a node that never finished, and carries the run's faults", () => {
  const v = view(
    [node("a"), node("b", { status: "retrying", usage: null, costUsd: null, cache: null }), node("c")],
    "running",
  );
  const a = auditRun(spec(), seen(v, { terminalByDeadline: false, faults: { lostAnswer: 1 } }), oneCallEach);
  expect(a.tokenMismatches).toMatchObject([
    { nodeId: "b", recorded: 0, issued: 60, status: "retrying", why: "unfinished-node" },
  ]);
  expect(a.faults).toEqual({ lostAnswer: 1 });
});
