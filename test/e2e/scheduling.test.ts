import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

async function timings(h: Harness, runId: string): Promise<Record<string, { start: number; end: number }>> {
  const view = await h.waitForRun(runId);
  expect(view.status).toBe("completed");
  return Object.fromEntries(
    view.levels
      .flatMap((l) => l.nodes)
      .map((n) => [n.id, { start: Date.parse(n.startedAt ?? ""), end: Date.parse(n.finishedAt ?? "") }]),
  );
}

/** Largest number of nodes whose [start, end) intervals overlap at one instant. */
function maxOverlap(t: Record<string, { start: number; end: number }>): number {
  const events = Object.values(t).flatMap(({ start, end }) => [
    [start, 1],
    [end, -1],
  ]);
  events.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let cur = 0;
  let max = 0;
  for (const [, d] of events) {
    cur += d as number;
    max = Math.max(max, cur);
  }
  return max;
}

const slowAndFast = (mode: string) =>
  workflow(
    [
      node("slow", [], { simulate: { latencyMs: 600 } }),
      node("fast", [], { simulate: { latencyMs: 20 } }),
      node("after-slow", ["slow"], { simulate: { latencyMs: 20 } }),
      node("after-fast", ["fast"], { simulate: { latencyMs: 20 } }),
    ],
    { mode },
  );

describe("scheduling modes through the full stack", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("eager: a node starts when its own dependency finishes, not when its level does", async () => {
    const { runId } = await h.client.start({ workflow: slowAndFast("eager") });
    const t = await timings(h, runId);
    expect(t["after-fast"]!.start).toBeGreaterThanOrEqual(t.fast!.end);
    expect(t["after-fast"]!.start).toBeLessThan(t.slow!.end);
  });

  it("levels: a node waits for its whole previous level", async () => {
    const { runId } = await h.client.start({ workflow: slowAndFast("levels") });
    const t = await timings(h, runId);
    expect(t["after-fast"]!.start).toBeGreaterThanOrEqual(t.slow!.end);
    expect(t["after-slow"]!.start).toBeGreaterThanOrEqual(t.slow!.end);
  });

  it("concurrency 2: never more than two nodes at once, and all complete", async () => {
    const nodes = Array.from({ length: 8 }, (_, i) => node(`n${i}`, [], { simulate: { latencyMs: 120 } }));
    await h.stack.idle();
    h.stack.resetStats();
    const { runId } = await h.client.start({ workflow: workflow(nodes, { concurrency: 2 }) });
    const t = await timings(h, runId);
    expect(Object.keys(t)).toHaveLength(8);
    expect(maxOverlap(t)).toBe(2);
    // each delivery goes on with the next node in its slot (a chain), so fewer messages than nodes, and a chaining
    // run advances in execute: no success callbacks (advance-site.ts)
    await h.stack.idle();
    const stats = h.stack.stats();
    expect(stats.qstashCallbacks).toBe(0);
    expect(stats.qstashMessagesPublished).toBeLessThan(8);
  });

  it("concurrency 2 without chains: never more than two nodes at once; the run advances in the success callback", async () => {
    const nodes = Array.from({ length: 8 }, (_, i) => node(`n${i}`, [], { simulate: { latencyMs: 120 } }));
    await h.stack.idle();
    h.stack.resetStats();
    const { runId } = await h.client.start({ workflow: workflow(nodes, { concurrency: 2, nodesPerDelivery: 1 }) });
    const t = await timings(h, runId);
    expect(Object.keys(t)).toHaveLength(8);
    expect(maxOverlap(t)).toBe(2);
    // 2 slots for a level of 8: nodes wait for slots, so the run advances in the success callback, one per node
    await h.stack.idle();
    expect(h.stack.stats()).toMatchObject({ qstashMessagesPublished: 8, qstashCallbacks: 8 });
  });

  it("a run whose concurrency covers its widest level advances in execute: no callbacks; the join runs in the delivery that released it", async () => {
    await h.stack.idle();
    h.stack.resetStats();
    const nodes = [node("a"), node("b", ["a"]), node("c", ["a"]), node("d", ["b", "c"])];
    const { runId } = await h.client.start({ workflow: workflow(nodes, { concurrency: 2 }) });
    expect(Object.keys(await timings(h, runId))).toHaveLength(4);
    await h.stack.idle();
    // a's delivery goes on with b and publishes c; whichever of b and c finishes last releases d and runs it
    expect(h.stack.stats()).toMatchObject({ qstashMessagesPublished: 2, qstashDeliveries: 2, qstashCallbacks: 0 });
  });

  it("sequential: one node at a time", async () => {
    const nodes = [
      node("a", [], { simulate: { latencyMs: 60 } }),
      node("b", [], { simulate: { latencyMs: 60 } }),
      node("c", ["a"], { simulate: { latencyMs: 60 } }),
    ];
    const { runId } = await h.client.start({ workflow: workflow(nodes, { mode: "sequential", concurrency: 10 }) });
    expect(maxOverlap(await timings(h, runId))).toBe(1);
  });

  it("concurrency 1 runs the longest remaining path first", async () => {
    // chain x1 -> x2 -> x3 is the long path; y is a lone short node: with one slot x1 must go before y
    const nodes = [
      node("y", [], { simulate: { latencyMs: 10 } }),
      node("x1", [], { simulate: { latencyMs: 50 } }),
      node("x2", ["x1"], { simulate: { latencyMs: 50 } }),
      node("x3", ["x2"], { simulate: { latencyMs: 50 } }),
    ];
    const { runId } = await h.client.start({ workflow: workflow(nodes, { concurrency: 1 }) });
    const t = await timings(h, runId);
    expect(t.x1!.start).toBeLessThan(t.y!.start);
  });
});
