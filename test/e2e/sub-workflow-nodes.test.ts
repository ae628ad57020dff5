import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

/**
 * Sub-workflow nodes through the worker, the local stack and a real Redis, with the simulated provider: a workflow
 * node starts a registered workflow as a child run, completes with the child's sink outputs (its dependent reads
 * them) and carries the child's cost into the parent's node, totals and run budget; a failing child fails the node;
 * cancelling the parent cancels the child; a chain of sub-workflows deeper than the limit fails at the limit.
 */

const nodesOf = (v: RunViewBody) => Object.fromEntries(v.levels.flatMap((l) => l.nodes).map((n) => [n.id, n]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unique = (p: string) => `${p}-${Math.random().toString(36).slice(2, 10)}`;

describe("sub-workflow nodes through the full stack", () => {
  let h: Harness;

  beforeAll(async () => {
    // a price for the simulated model (USD per million tokens), so that costs are not zero
    h = await startHarness({
      vars: { SIMULATED_LATENCY_MS: "20", PRICES: JSON.stringify({ "sim-fast": { input: 3, output: 15 } }) },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function register(name: string, nodes: unknown[]): Promise<void> {
    const res = await fetch(`${h.url}/v1/workflows/${name}`, {
      method: "PUT",
      headers: { authorization: "Bearer dev-key", "content-type": "application/json" },
      body: JSON.stringify(workflow(nodes, { name })),
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }

  async function view(runId: string): Promise<RunViewBody & { budgetUsage: { usedMicroUsd: number } | null }> {
    return (await h.client.get(runId)) as RunViewBody & { budgetUsage: { usedMicroUsd: number } | null };
  }

  /** Reads the run view until `ok` holds (every 100 ms, at most `ms`). */
  async function until(runId: string, ok: (v: RunViewBody) => boolean, ms = 30_000): Promise<RunViewBody> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await h.client.get(runId);
      if (ok(v)) return v;
      if (Date.now() > end) throw new Error(`run ${runId} never got there: ${JSON.stringify(nodesOf(v))}`);
      await sleep(100);
    }
  }

  it("completes with the child's outputs, which its dependent reads; the child's cost shows in the parent", async () => {
    const child = unique("child");
    await register(child, [
      node("x", [], { prompt: "Child x on {{input.topic}}." }),
      node("y", ["x"], { prompt: "Child y after {{nodes.x.output}}" }),
    ]);
    const parent = workflow(
      [
        node("a"),
        node("sub", ["a"], {
          kind: "workflow",
          workflow: { name: child, input: { topic: "{{input.topic}}", from: "{{nodes.a.output}}" } },
        }),
        node("b", ["sub"], { prompt: "Finish with {{nodes.sub.output.y}}" }),
      ],
      { budget: { usd: 5 } },
    );
    const { runId } = await h.client.start({ workflow: parent, input: { topic: "release-42" } });
    const done = await h.waitForRun(runId, 60_000);
    expect(done.status).toBe("completed");
    const sub = nodesOf(done).sub;
    expect(sub?.status).toBe("done");
    const childId = sub?.workflow?.runId as string;
    expect(sub?.workflow?.name).toBe(child);
    expect(childId).toMatch(/^run_[0-9a-f]{26}$/);

    // the child ran the registered workflow on the rendered input, and names its parent
    const c = await view(childId);
    expect(c.status).toBe("completed");
    expect(c.workflow).toBe(child);
    expect(c.trigger).toBe(`parent:${runId}/sub`);
    expect(c.parent).toMatchObject({ runId, nodeId: "sub", depth: 1 });
    const childOut = await h.client.output(childId);
    expect(childOut.outputs.y).toContain("on node y");

    // b read the child's sink output y through the node's JSON output
    const out = await h.client.output(runId);
    expect(out.outputs.b).toContain("> Finish with");
    expect(out.outputs.b).toContain("on node y, attempt 1.");
    // y's text starts with the simulated banner; b's gist quotes that line after "Finish with"
    expect(out.outputs.b).toContain(`> Finish with ${(childOut.outputs.y as string).split("\n")[0]}`);

    // the child's cost is the node's cost, and in the parent's totals and run budget
    expect(c.totals.costUsd).toBeGreaterThan(0);
    expect(sub?.costUsd).toBeCloseTo(c.totals.costUsd, 9);
    const p = await view(runId);
    const own = (nodesOf(p).a?.costUsd ?? 0) + (nodesOf(p).b?.costUsd ?? 0);
    expect(p.totals.costUsd).toBeCloseTo(own + c.totals.costUsd, 9);
    expect(p.totals.inputTokens).toBeGreaterThanOrEqual(c.totals.inputTokens);
    // the child's calls reserved in the parent's run budget: what it used is every call of both runs
    expect((p.budgetUsage?.usedMicroUsd ?? 0) / 1e6).toBeCloseTo(p.totals.costUsd, 6);
  });

  it("a failing child fails the node with the child's error, and its dependent is skipped", async () => {
    const child = unique("failing");
    // `ok` is paid for before `x` fails: the child's spend is the parent node's too
    await register(child, [node("ok"), node("x", ["ok"], { retries: 0, simulate: { failAttempts: 5 } })]);
    const parent = workflow([
      node("sub", [], { kind: "workflow", workflow: { name: child } }),
      node("b", ["sub"]),
      node("c"),
    ]);
    const { runId } = await h.client.start({ workflow: parent });
    const v = await h.waitForRun(runId, 60_000);
    expect(v.status).toBe("failed");
    const sub = nodesOf(v).sub;
    expect(sub?.status).toBe("failed");
    expect(sub?.error).toMatch(new RegExp(`^child run ${sub?.workflow?.runId} failed: x: `));
    expect(nodesOf(v).b?.status).toBe("skipped");
    expect(nodesOf(v).c?.status).toBe("done");
    const c = await view(sub?.workflow?.runId as string);
    expect(c.status).toBe("failed");
    expect(c.totals.costUsd).toBeGreaterThan(0);
    expect(sub?.costUsd).toBeCloseTo(c.totals.costUsd, 9);
    expect(v.totals.costUsd).toBeCloseTo((nodesOf(v).c?.costUsd ?? 0) + c.totals.costUsd, 9);
  });

  it("cancelling the parent cancels its running child", async () => {
    const child = unique("slow");
    await register(child, [node("x", [], { simulate: { latencyMs: 20_000 } }), node("y", ["x"])]);
    const parent = workflow([node("sub", [], { kind: "workflow", workflow: { name: child } }), node("b", ["sub"])]);
    const { runId } = await h.client.start({ workflow: parent });
    const waiting = await until(runId, (v) => nodesOf(v).sub?.status === "waiting");
    const childId = nodesOf(waiting).sub?.workflow?.runId as string;
    await until(childId, (v) => nodesOf(v).x?.status === "running");
    const res = await fetch(`${h.url}/v1/runs/${runId}/cancel`, {
      method: "POST",
      headers: { authorization: "Bearer dev-key" },
    });
    expect(res.status).toBe(200);
    expect((await view(runId)).status).toBe("cancelled");
    const c = await view(childId);
    expect(c.status).toBe("cancelled");
    expect(nodesOf(c).y?.status).toBe("cancelled");
  });

  it("a fail-fast failure elsewhere in the parent cancels its running child", async () => {
    const child = unique("slow");
    await register(child, [node("x", [], { simulate: { latencyMs: 20_000 } }), node("y", ["x"])]);
    const parent = workflow([
      node("sub", [], { kind: "workflow", workflow: { name: child } }),
      node("gate", []),
      // fails for good once the child runs: retries 0, every attempt fails, and its failure stops the run
      node("boom", ["gate"], { retries: 0, onFailure: "fail-fast", simulate: { failAttempts: 100, latencyMs: 1500 } }),
    ]);
    const { runId } = await h.client.start({ workflow: parent });
    const waiting = await until(runId, (v) => nodesOf(v).sub?.status === "waiting");
    const childId = nodesOf(waiting).sub?.workflow?.runId as string;
    await until(childId, (v) => nodesOf(v).x?.status === "running");
    const failed = await h.waitForRun(runId, 30_000);
    expect(failed.status).toBe("failed");
    expect(nodesOf(failed).sub?.status).toBe("cancelled");
    const c = await until(childId, (v) => v.status !== "running", 10_000);
    expect(c.status).toBe("cancelled");
    expect(nodesOf(c).y?.status).toBe("cancelled");
  });

  it("a chain of sub-workflows deeper than the limit fails at the limit", async () => {
    // d4 plain; d3 → d4; d2 → d3; d1 → d2; d0 → d1; the run → d0: d4 would be depth 5
    const names = [0, 1, 2, 3, 4].map((i) => unique(`d${i}`));
    await register(names[4] as string, [node("leaf")]);
    for (let i = 3; i >= 0; i--)
      await register(names[i] as string, [node("n", [], { kind: "workflow", workflow: { name: names[i + 1] } })]);
    const { runId } = await h.client.start({
      workflow: workflow([node("top", [], { kind: "workflow", workflow: { name: names[0] } })]),
    });
    const v = await h.waitForRun(runId, 60_000);
    expect(v.status).toBe("failed");
    // the deepest child (depth 4) failed its node at start; each level up failed with its child
    let id = nodesOf(v).top?.workflow?.runId as string;
    for (let depth = 1; depth <= 4; depth++) {
      const c = await view(id);
      expect(c.parent?.depth).toBe(depth);
      expect(c.status).toBe("failed");
      if (depth < 4) id = nodesOf(c).n?.workflow?.runId as string;
      else {
        expect(nodesOf(c).n?.workflow?.runId).toBeNull();
        expect(nodesOf(c).n?.error).toMatch(/depth 5; at most 4 levels/);
      }
    }
  });
});
