import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { node, workflow } from "../support/workflows.js";
import { postRun, sign } from "./helpers.js";

const ORIGIN = "http://agent-dag.test";

/** One signed delivery of `/internal/execute`, as QStash sends it (message id and retry count in headers). */
async function execute(runId: string, nodeId: string, messageId: string, retried = 0): Promise<Response> {
  const text = JSON.stringify({ runId, nodeId });
  return SELF.fetch(`${ORIGIN}/internal/execute`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "upstash-signature": await sign(`${ORIGIN}/internal/execute`, text),
      "upstash-message-id": messageId,
      "upstash-retried": String(retried),
    },
    body: text,
  });
}

type View = { status: string; levels: { nodes: { id: string; status: string; error?: string | null }[] }[] };

async function view(runId: string): Promise<{ status: string; nodes: Record<string, { status: string; error?: string | null }> }> {
  const v = (await (await SELF.fetch(`${ORIGIN}/v1/runs/${runId}`, { headers: { authorization: "Bearer dev-key" } })).json()) as View;
  return { status: v.status, nodes: Object.fromEntries(v.levels.flatMap((l) => l.nodes.map((n) => [n.id, n]))) };
}

async function startRun(nodes: unknown[], extra: Record<string, unknown> = {}): Promise<string> {
  const res = await postRun({ workflow: workflow(nodes, extra), simulate: { latencyMs: 1 } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

describe("/internal/execute advances the DAG in the same request (no success callback)", () => {
  it("completes the node and publishes the dependent it released", async () => {
    const runId = await startRun([node("a"), node("b", ["a"])]);
    const res = await execute(runId, "a", "msg_a");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ nodeId: "a", simulated: true, advanced: { kind: "completed", applied: true, dispatched: 1 } });
    const v = await view(runId);
    expect(v.nodes["a"]?.status).toBe("done");
    expect(v.nodes["b"]?.status).toBe("queued");
  });

  it("a retry of a node already done publishes again the dependents still queued, and runs nothing", async () => {
    const runId = await startRun([node("a"), node("b", ["a"]), node("c", ["a"])]);
    expect((await execute(runId, "a", "msg_a")).status).toBe(200);
    // as if the first delivery had died after completing a but before QStash saw its answer
    const again = await execute(runId, "a", "msg_a", 1);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ skipped: true, reason: "done", dispatched: 2 });
    const v = await view(runId);
    expect([v.nodes["b"]?.status, v.nodes["c"]?.status]).toEqual(["queued", "queued"]);
  });

  it("the last node's delivery finishes the run", async () => {
    const runId = await startRun([node("a"), node("b", ["a"])]);
    await execute(runId, "a", "msg_a");
    const res = await execute(runId, "b", "msg_b");
    expect(await res.json()).toMatchObject({ advanced: { kind: "completed", applied: true, dispatched: 0, runStatus: "completed" } });
    expect((await view(runId)).status).toBe("completed");
  });

  it("a failed attempt that QStash will retry is answered 5xx and leaves the node retrying with its error", async () => {
    const runId = await startRun([node("a", [], { simulate: { failAttempts: 1 } }), node("b", ["a"])]);
    const res = await execute(runId, "a", "msg_a");
    expect(res.status).toBe(500);
    const v = await view(runId);
    expect(v.nodes["a"]).toMatchObject({ status: "retrying", error: expect.stringMatching(/simulated failure of attempt 1/) });
    expect(v.nodes["b"]?.status).toBe("pending");
    // QStash's retry then runs it and releases b
    const retry = await execute(runId, "a", "msg_a", 1);
    expect(await retry.json()).toMatchObject({ attempt: 2, advanced: { kind: "completed", dispatched: 1 } });
  });

  it("when the run's concurrency is below its widest level, execute only answers: the success callback advances", async () => {
    const runId = await startRun([node("a"), node("b"), node("c", ["a", "b"])], { concurrency: 1 });
    const text = JSON.stringify({ runId, nodeId: "a", advanceBy: "callback" });
    const res = await SELF.fetch(`${ORIGIN}/internal/execute`, {
      method: "POST",
      headers: { "content-type": "application/json", "upstash-signature": await sign(`${ORIGIN}/internal/execute`, text), "upstash-message-id": "msg_a" },
      body: text,
    });
    expect(res.status).toBe(200);
    const result = (await res.json()) as Record<string, unknown>;
    expect(result).toMatchObject({ nodeId: "a", simulated: true });
    expect(result).not.toHaveProperty("advanced");
    expect((await view(runId)).nodes["a"]?.status).toBe("running");
  });
});
