import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../local/fake-providers/anthropic.js";
import type { FakeCall, FakeProviderServer } from "../../local/fake-providers/harness.js";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { fakeAnthropicVars } from "../support/fake-anthropic-vars.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

/**
 * Cancel, retry and rerun through the worker, the local stack and a real Redis, counting provider calls at the
 * fake Anthropic endpoint.
 */

const nodesOf = (v: RunViewBody) => v.levels.flatMap((l) => l.nodes);
/** The node a fake call was for: each test prompt starts with `Do <id>.`, in the request's last text block (an
 * upstream output shared by siblings goes before it, as a cacheable prefix). */
function nodeOfCall(c: FakeCall): string {
  const messages = (c.body as { messages?: { content: string | { type: string; text?: string }[] }[] }).messages ?? [];
  const content = messages.at(-1)?.content ?? "";
  const text = typeof content === "string" ? content : (content.filter((b) => b.text).at(-1)?.text ?? "");
  return /^Do ([A-Za-z0-9_-]+)\./.exec(text)?.[1] ?? "?";
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("operating runs through the full stack", () => {
  let h: Harness;
  let fake: FakeProviderServer;
  const agents = { a: { system: "You test." } };

  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
    h = await startHarness({
      vars: fakeAnthropicVars(fake.baseUrl),
    });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  async function post(runId: string, action: string, body?: unknown): Promise<Response> {
    return fetch(`${h.url}/v1/runs/${runId}/${action}`, {
      method: "POST",
      headers: { authorization: "Bearer dev-key", "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
  async function viewOf(runId: string): Promise<RunViewBody & { budgetUsage: { reservedTokens: number } | null }> {
    const res = await fetch(`${h.url}/v1/runs/${runId}`, { headers: { authorization: "Bearer dev-key" } });
    return (await res.json()) as RunViewBody & { budgetUsage: { reservedTokens: number } | null };
  }

  it("a 50-node run cancelled mid-way makes no provider call after the cancel answer; its reservations end at zero", async () => {
    fake.reset();
    fake.setBehaviour({ latencyMs: 400 });
    // ten chains of five nodes, five at a time
    const nodes = Array.from({ length: 50 }, (_, i) =>
      node(`n${i}`, i >= 10 ? [`n${i - 10}`] : [], { model: "fast", maxOutputTokens: 50 }),
    );
    const { runId } = await h.client.start({
      workflow: workflow(nodes, { agents, concurrency: 5 }),
      budget: { tokens: 1_000_000, onBudget: "fail" },
    });
    await fake.waitForCalls(8);
    const res = await post(runId, "cancel");
    const acknowledged = Date.now();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "cancelled", alreadyCancelled: false });
    const callsAtCancel = fake.calls().length;
    // long enough for any message QStash still held, retries and chained nodes to have come through
    await sleep(3000);
    const late = fake.calls().filter((c) => c.at > acknowledged);
    expect(late.map(nodeOfCall)).toEqual([]);
    expect(fake.calls().length).toBe(callsAtCancel);
    expect(callsAtCancel).toBeLessThan(50);
    const v = await viewOf(runId);
    expect(v.status).toBe("cancelled");
    const statuses = nodesOf(v).map((n) => n.status);
    expect(statuses.filter((s) => s !== "done" && s !== "cancelled")).toEqual([]);
    expect(statuses.filter((s) => s === "cancelled").length).toBeGreaterThan(0);
    expect(v.budgetUsage?.reservedTokens).toBe(0);
    // cancelling again is a no-op
    expect(await (await post(runId, "cancel")).json()).toMatchObject({ alreadyCancelled: true });
  });

  it("retry of a run whose one node failed calls the provider only for that node and its descendants", async () => {
    fake.reset();
    // b's prompt is longer than the context window: a 400, which is not retried
    fake.setBehaviour({ contextWindowTokens: 400 });
    const wf = workflow(
      [
        node("a", [], { model: "fast" }),
        node("b", ["a"], { model: "fast", prompt: `Do b. ${"long ".repeat(600)}\n{{nodes.a.output}}` }),
        node("c", ["b"], { model: "fast", prompt: "Do c.\n{{nodes.b.output}}" }),
        node("d", ["a"], { model: "fast" }),
        node("e", [], { model: "fast" }),
      ],
      { agents },
    );
    const { runId } = await h.client.start({ workflow: wf });
    const failed = await h.waitForRun(runId);
    expect(failed.status).toBe("failed");
    const byId = (v: RunViewBody) => Object.fromEntries(nodesOf(v).map((n) => [n.id, n]));
    expect(byId(failed).b?.status).toBe("failed");
    expect(byId(failed).c?.status).toBe("skipped");

    fake.reset(); // no more context limit; count afresh
    const res = await post(runId, "retry");
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ try: 2, reset: 2 });
    const v = await h.waitForRun(runId);
    expect(v.status).toBe("completed");
    expect(fake.calls().map(nodeOfCall).sort()).toEqual(["b", "c"]);
    const nodes = byId(v);
    expect(nodes.b?.attempts).toBe(2); // the first try's attempt still counts
    expect(nodes.b?.history?.[0]).toMatchObject({ try: 1, status: "failed" });
    expect(nodes.b?.history?.[0]?.error).toMatch(/too long|context|prompt/i);
    expect(nodes.a?.history).toEqual([]);
    expect(v.try).toBe(2);
  });

  it("rerun from a node calls the provider only for it and its descendants", async () => {
    fake.reset();
    const wf = workflow(
      [
        node("a", [], { model: "fast" }),
        node("b", ["a"], { model: "fast", prompt: "Do b.\n{{nodes.a.output}}" }),
        node("c", ["b"], { model: "fast", prompt: "Do c.\n{{nodes.b.output}}" }),
        node("d", ["a"], { model: "fast", prompt: "Do d.\n{{nodes.a.output}}" }),
      ],
      { agents },
    );
    const { runId } = await h.client.start({ workflow: wf });
    expect((await h.waitForRun(runId)).status).toBe("completed");
    expect(fake.calls()).toHaveLength(4);
    fake.reset();
    // a rerun of a running run is refused; this one has finished
    const res = await post(runId, "rerun", { from: "b" });
    expect(res.status).toBe(202);
    const v = await h.waitForRun(runId);
    expect(v.status).toBe("completed");
    expect(v).toMatchObject({ try: 2, rerunFrom: "b" });
    expect(fake.calls().map(nodeOfCall).sort()).toEqual(["b", "c"]);
  });

  it("failure policy continue: the dependent runs and reads the failure marker; the run completes", async () => {
    const sim = { s: { system: "You test.", provider: "simulated", model: "sim-fast" } };
    const wf = workflow(
      [
        node("a", [], { agent: "s", retries: 0, simulate: { failAttempts: 1 }, onFailure: "continue" }),
        node("b", ["a"], { agent: "s", prompt: "Do b.\n{{nodes.a.output}}" }),
      ],
      { agents: sim },
    );
    const { runId } = await h.client.start({ workflow: wf });
    const v = await h.waitForRun(runId);
    expect(v.status).toBe("completed");
    const byId = Object.fromEntries(nodesOf(v).map((n) => [n.id, n]));
    expect(byId.a?.status).toBe("failed");
    expect(byId.b?.status).toBe("done");
    // the simulated output quotes the start of its prompt, which read a's output
    const out = await fetch(`${h.url}/v1/runs/${runId}/output`, { headers: { authorization: "Bearer dev-key" } });
    const { outputs } = (await out.json()) as { outputs: Record<string, string> };
    expect(outputs.b).toMatch(/\[FAILED: .*simulated failure of attempt 1/);
  });

  it("failure policy fail-fast: the first failure cancels the rest and the run fails", async () => {
    const sim = { s: { system: "You test.", provider: "simulated", model: "sim-fast" } };
    const wf = workflow(
      [
        node("a", [], { agent: "s", retries: 0, simulate: { failAttempts: 1, latencyMs: 200 } }),
        node("slow", [], { agent: "s", simulate: { latencyMs: 5000 } }),
        node("after", ["slow"], { agent: "s" }),
      ],
      { agents: sim, onFailure: "fail-fast", nodesPerDelivery: 1 },
    );
    const started = Date.now();
    const v = await h.waitForRun((await h.client.start({ workflow: wf })).runId);
    expect(v.status).toBe("failed");
    // the slow call was aborted in this isolate: the run did not wait for it
    expect(Date.now() - started).toBeLessThan(4000);
    const statuses = Object.fromEntries(nodesOf(v).map((n) => [n.id, n.status]));
    expect(statuses).toEqual({ a: "failed", slow: "cancelled", after: "cancelled" });
  });

  it("rerun with the result cache on: the node calls again, and a descendant whose input did not change hits", async () => {
    fake.reset();
    const wf = workflow(
      [node("a", [], { model: "fast" }), node("b", ["a"], { model: "fast", prompt: "Do b.\n{{nodes.a.output}}" })],
      { agents, cache: true, name: "rerun-cached" },
    );
    const { runId } = await h.client.start({ workflow: wf, input: { nonce: crypto.randomUUID() } });
    expect((await h.waitForRun(runId)).status).toBe("completed");
    fake.reset();
    expect((await post(runId, "rerun", { from: "a" })).status).toBe(202);
    const v = await h.waitForRun(runId);
    // a skipped the cache read and called again; its output is the same, so b's cache key is too
    expect(fake.calls().map(nodeOfCall)).toEqual(["a"]);
    expect(Object.fromEntries(nodesOf(v).map((n) => [n.id, n.cache]))).toEqual({ a: "miss", b: "hit" });
  });
});
