import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { node, workflow } from "../support/workflows.js";
import { keysUnderPrefix, postRun, sign, testRedis } from "./helpers.js";

const ORIGIN = "http://agent-dag.test";

/** One signed delivery of `/internal/execute`, as QStash sends it (message id and retry count in headers). */
async function execute(
  runId: string,
  nodeId: string,
  messageId: string,
  retried = 0,
  extra: Record<string, unknown> = {},
): Promise<Response> {
  const text = JSON.stringify({ runId, nodeId, ...extra });
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

type View = {
  status: string;
  levels: { nodes: { id: string; status: string; attempts: number; error?: string | null }[] }[];
};

async function view(
  runId: string,
): Promise<{ status: string; nodes: Record<string, { status: string; attempts: number; error?: string | null }> }> {
  const v = (await (
    await SELF.fetch(`${ORIGIN}/v1/runs/${runId}`, { headers: { authorization: "Bearer dev-key" } })
  ).json()) as View;
  return { status: v.status, nodes: Object.fromEntries(v.levels.flatMap((l) => l.nodes.map((n) => [n.id, n]))) };
}

let blobsBefore = new Set<string>();

async function startRun(nodes: unknown[], extra: Record<string, unknown> = {}, input?: unknown): Promise<string> {
  blobsBefore = new Set((await keysUnderPrefix()).filter((k) => k.includes(":blob:")));
  const res = await postRun({
    workflow: workflow(nodes, extra),
    simulate: { latencyMs: 1 },
    ...(input === undefined ? {} : { input }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

/** Sets the local QStash emulator's chaos (the worker tests run one file at a time: vitest.config.ts). */
async function chaos(c: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${env.QSTASH_URL}/__chaos`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(c),
  });
  expect(res.status).toBe(200);
}

/** A signed failure callback for the message that delivered `nodeId` (QStash's B8 shape, retries exhausted). */
async function failureCallback(runId: string, nodeId: string, messageId: string): Promise<Response> {
  const text = JSON.stringify({
    status: 500,
    retried: 0,
    maxRetries: 0,
    sourceMessageId: messageId,
    sourceBody: btoa(JSON.stringify({ runId, nodeId })),
    body: "",
  });
  return SELF.fetch(`${ORIGIN}/internal/failure`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "upstash-signature": await sign(`${ORIGIN}/internal/failure`, text),
    },
    body: text,
  });
}

describe("replay: a delivery's signed token is recorded by its claim", () => {
  it("replay: a copy of a delivery that ran its node, sent again with other message headers, is refused 409 and runs nothing; the same headers make a duplicate", async () => {
    const runId = await startRun([node("a"), node("b", ["a"])]);
    const text = JSON.stringify({ runId, nodeId: "a" });
    const signature = await sign(`${ORIGIN}/internal/execute`, text);
    const send = (messageId: string, retried: number) =>
      SELF.fetch(`${ORIGIN}/internal/execute`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "upstash-signature": signature,
          "upstash-message-id": messageId,
          "upstash-retried": String(retried),
        },
        body: text,
      });
    const first = await send("msg_a", 0);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ nodeId: "a", advanced: { applied: true, dispatched: 1 } });
    const before = await view(runId);
    for (const [messageId, retried] of [
      ["msg_other", 0],
      ["msg_a", 2],
    ] as const) {
      const again = await send(messageId, retried);
      expect(again.status).toBe(409);
      expect(((await again.json()) as { type: string }).type).toMatch(/replayed-delivery$/);
    }
    // nothing ran or changed: a's one attempt, b still queued
    expect(await view(runId)).toEqual(before);
    expect(before.nodes["a"]).toMatchObject({ status: "done", attempts: 1 });
    // the same copy under the same headers is the same delivery sent twice: answered as a duplicate, no second call
    const duplicate = await send("msg_a", 0);
    expect(duplicate.status).toBe(200);
    expect(await duplicate.json()).toMatchObject({ skipped: true, reason: "done" });
    expect((await view(runId)).nodes["a"]).toMatchObject({ status: "done", attempts: 1 });
    // QStash's own next attempt, signed anew, is taken as usual
    const retry = await execute(runId, "a", "msg_a", 1);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ skipped: true, reason: "done" });
  });
});

describe("/internal/execute advances the DAG in the same request (no success callback)", () => {
  it("completes the node and publishes the dependent it released", async () => {
    const runId = await startRun([node("a"), node("b", ["a"])]);
    const res = await execute(runId, "a", "msg_a");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      nodeId: "a",
      simulated: true,
      advanced: { kind: "completed", applied: true, dispatched: 1 },
    });
    const v = await view(runId);
    expect(v.nodes["a"]?.status).toBe("done");
    expect(v.nodes["b"]?.status).toBe("queued");
  });

  it("a delivery that completed its node but could not publish answers 500; QStash's retry publishes the dependents", async () => {
    const runId = await startRun([node("a"), node("b", ["a"]), node("c", ["a"])]);
    await chaos({ publishErrors: 1 });
    const first = await execute(runId, "a", "msg_a");
    expect(first.status).toBe(500);
    let v = await view(runId);
    expect([v.nodes["a"]?.status, v.nodes["b"]?.status, v.nodes["c"]?.status]).toEqual(["done", "queued", "queued"]);
    // the retry finds a done: it runs nothing and publishes the two dependents the first delivery could not
    const again = await execute(runId, "a", "msg_a", 1);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ skipped: true, reason: "done", dispatched: 2 });
    v = await view(runId);
    expect(v.nodes["a"]).toMatchObject({ status: "done", attempts: 1 });
  });

  it("when that was the last attempt, the failure callback publishes the dependents and leaves the node done", async () => {
    const runId = await startRun([node("a", [], { retries: 0 }), node("b", ["a"])]);
    await chaos({ publishErrors: 1 });
    expect((await execute(runId, "a", "msg_a")).status).toBe(500);
    // QStash gives up on the message and sends the failure callback
    const res = await failureCallback(runId, "a", "msg_a");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ kind: "failed", applied: false, dispatched: 1 });
    const v = await view(runId);
    expect([v.status, v.nodes["a"]?.status, v.nodes["b"]?.status]).toEqual(["running", "done", "queued"]);
  });

  it("a non-retryable error fails the node and skips its descendants before answering 489", async () => {
    const runId = await startRun(
      [node("a", [], { prompt: "About {{input.topic}}." }), node("b", ["a"])],
      {},
      { topic: crypto.randomUUID() },
    );
    // the run input expires (its blob is the only blob this run wrote)
    const blobs = (await keysUnderPrefix()).filter((k) => k.includes(":blob:") && !blobsBefore.has(k));
    expect(blobs).toHaveLength(1);
    await testRedis().del(...blobs);
    const res = await execute(runId, "a", "msg_a");
    expect(res.status).toBe(489);
    expect(res.headers.get("upstash-nonretryable-error")).toBe("true");
    const v = await view(runId);
    expect([v.status, v.nodes["a"]?.status, v.nodes["b"]?.status]).toEqual(["failed", "failed", "skipped"]);
    expect(v.nodes["a"]?.error).toMatch(/run input has expired/);
  });

  it("a message from before this change (with a success callback, no advanceBy) advances twice harmlessly", async () => {
    const runId = await startRun([node("a"), node("b", ["a"])]);
    const res = await execute(runId, "a", "msg_a");
    const result = await res.text();
    // QStash then sends that message's success callback with the answer
    const text = JSON.stringify({
      status: 200,
      retried: 0,
      maxRetries: 3,
      sourceMessageId: "msg_a",
      sourceBody: btoa(JSON.stringify({ runId, nodeId: "a" })),
      body: btoa(result),
    });
    const cb = await SELF.fetch(`${ORIGIN}/internal/callback`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "upstash-signature": await sign(`${ORIGIN}/internal/callback`, text),
      },
      body: text,
    });
    expect(cb.status).toBe(200);
    expect(await cb.json()).toMatchObject({ kind: "completed", applied: false });
    const v = await view(runId);
    expect([v.nodes["a"]?.status, v.nodes["a"]?.attempts, v.nodes["b"]?.status]).toEqual(["done", 1, "queued"]);
  });

  it("the last node's delivery finishes the run", async () => {
    const runId = await startRun([node("a"), node("b", ["a"])]);
    await execute(runId, "a", "msg_a");
    const res = await execute(runId, "b", "msg_b");
    expect(await res.json()).toMatchObject({
      advanced: { kind: "completed", applied: true, dispatched: 0, runStatus: "completed" },
    });
    expect((await view(runId)).status).toBe("completed");
  });

  it("the same delivery sent twice: the copy that finds the node held waits for its outcome and never answers 2xx for it", async () => {
    // the holder's attempt fails after its call (QStash may take either answer for the attempt)
    const runId = await startRun([node("a", [], { simulate: { failAttempts: 1, latencyMs: 300 } }), node("b", ["a"])]);
    const answers = await Promise.all([execute(runId, "a", "msg_dup"), execute(runId, "a", "msg_dup")]);
    const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, body: await r.json() })));
    // one copy failed (500); the other waited, found the node given up, ran it and answered its result
    expect(bodies.map((b) => b.status).sort()).toEqual([200, 500]);
    const ok = bodies.find((b) => b.status === 200)?.body as Record<string, unknown>;
    expect(ok.skipped).toBeUndefined();
    expect(ok).toMatchObject({ attempt: 2, advanced: { kind: "completed", dispatched: 1 } });
    const v = await view(runId);
    expect(v.nodes["a"]).toMatchObject({ status: "done", attempts: 2 });
    expect(v.nodes["b"]?.status).toBe("queued");
  });

  it("the same delivery sent twice while the holder succeeds: the copy answers only once the node is done", async () => {
    const runId = await startRun([node("a", [], { simulate: { latencyMs: 300 } }), node("b", ["a"])]);
    const answers = await Promise.all([execute(runId, "a", "msg_dup2"), execute(runId, "a", "msg_dup2")]);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Record<string, unknown>[];
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    const skipped = bodies.filter((b) => b.skipped === true);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.reason).toBe("done");
    expect((await view(runId)).nodes["a"]).toMatchObject({ status: "done", attempts: 1 });
  });

  it("a failed attempt that QStash will retry is answered 5xx and leaves the node retrying with its error", async () => {
    const runId = await startRun([node("a", [], { simulate: { failAttempts: 1 } }), node("b", ["a"])]);
    const res = await execute(runId, "a", "msg_a");
    expect(res.status).toBe(500);
    const v = await view(runId);
    expect(v.nodes["a"]).toMatchObject({
      status: "retrying",
      error: expect.stringMatching(/simulated failure of attempt 1/),
    });
    expect(v.nodes["b"]?.status).toBe("pending");
    // QStash's retry then runs it and releases b
    const retry = await execute(runId, "a", "msg_a", 1);
    expect(await retry.json()).toMatchObject({ attempt: 2, advanced: { kind: "completed", dispatched: 1 } });
  });

  it("a message marked advanceBy: callback records the completion but publishes nothing: the success callback publishes what it took", async () => {
    const runId = await startRun([node("a"), node("b"), node("c", ["a"]), node("d", ["a", "b"])], {
      concurrency: 1,
      nodesPerDelivery: 1,
    });
    const res = await execute(runId, "a", "msg_a", 0, { advanceBy: "callback" });
    expect(res.status).toBe(200);
    const answer = await res.text();
    const result = JSON.parse(answer) as Record<string, unknown>;
    expect(result).toMatchObject({
      nodeId: "a",
      simulated: true,
      completion: { applied: true, runStatus: "running", dispatch: ["c"] },
    });
    expect(result).not.toHaveProperty("advanced");
    let v = await view(runId);
    expect([v.nodes["a"]?.status, v.nodes["c"]?.status, v.nodes["d"]?.status]).toEqual(["done", "queued", "pending"]);
    // QStash's success callback of that attempt carries the answer: it publishes c and records nothing
    const callback = async (callbackRetried = 0) => {
      const text = JSON.stringify({
        status: 200,
        retried: 0,
        maxRetries: 3,
        sourceMessageId: "msg_a",
        sourceBody: btoa(JSON.stringify({ runId, nodeId: "a", advanceBy: "callback" })),
        body: btoa(answer),
      });
      return SELF.fetch(`${ORIGIN}/internal/callback`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "upstash-signature": await sign(`${ORIGIN}/internal/callback`, text),
          "upstash-retried": String(callbackRetried),
        },
        body: text,
      });
    };
    const cb = await callback();
    expect(cb.status).toBe(200);
    expect(await cb.json()).toEqual({ kind: "published", applied: true, runStatus: "running", dispatched: 1 });
    // a duplicate of the callback publishes c again (QStash drops it by its deduplication id) and changes nothing
    expect(await (await callback()).json()).toMatchObject({ kind: "published", dispatched: 1 });
    v = await view(runId);
    expect([v.nodes["a"]?.status, v.nodes["a"]?.attempts, v.nodes["c"]?.status]).toEqual(["done", 1, "queued"]);
    // once c has run, a retried callback (maybe past QStash's deduplication window) reads Redis and publishes nothing
    await execute(runId, "c", "msg_c", 0, { advanceBy: "callback" });
    expect(await (await callback(1)).json()).toEqual({
      kind: "published",
      applied: false,
      runStatus: "running",
      dispatched: 0,
    });
  });

  it("with advanceBy: callback, a completion that took more than 32 nodes answers dispatch null; the callback reads them back from Redis", async () => {
    const fanOut = Array.from({ length: 40 }, (_, i) => node(`b${String(i).padStart(2, "0")}`, ["a"]));
    const runId = await startRun([node("a"), ...fanOut], { concurrency: 40, nodesPerDelivery: 1 });
    const res = await execute(runId, "a", "msg_a", 0, { advanceBy: "callback" });
    const answer = await res.text();
    expect(JSON.parse(answer)).toMatchObject({ completion: { applied: true, dispatch: null } });
    const text = JSON.stringify({
      status: 200,
      retried: 0,
      maxRetries: 3,
      sourceMessageId: "msg_a",
      sourceBody: btoa(JSON.stringify({ runId, nodeId: "a", advanceBy: "callback" })),
      body: btoa(answer),
    });
    const cb = await SELF.fetch(`${ORIGIN}/internal/callback`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "upstash-signature": await sign(`${ORIGIN}/internal/callback`, text),
      },
      body: text,
    });
    // offer_again reads back the 40 nodes a's completion took and that are still queued
    expect(await cb.json()).toEqual({ kind: "published", applied: false, runStatus: "running", dispatched: 40 });
    const v = await view(runId);
    expect(fanOut.every((n) => v.nodes[n.id]?.status === "queued")).toBe(true);
  });

  it("with advanceBy: callback, a callback whose answer was truncated still publishes what the completion took", async () => {
    const runId = await startRun([node("a"), node("b"), node("c", ["a"])], { concurrency: 1, nodesPerDelivery: 1 });
    const answer = await (await execute(runId, "a", "msg_a", 0, { advanceBy: "callback" })).text();
    expect(JSON.parse(answer)).toMatchObject({ completion: { dispatch: ["c"] } });
    const text = JSON.stringify({
      status: 200,
      retried: 0,
      maxRetries: 3,
      sourceMessageId: "msg_a",
      sourceBody: btoa(JSON.stringify({ runId, nodeId: "a", advanceBy: "callback" })),
      body: btoa(answer.slice(0, 40)),
    });
    const cb = await SELF.fetch(`${ORIGIN}/internal/callback`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "upstash-signature": await sign(`${ORIGIN}/internal/callback`, text),
      },
      body: text,
    });
    expect(await cb.json()).toEqual({ kind: "published", applied: false, runStatus: "running", dispatched: 1 });
  });

  it("a callback with an unreadable answer for a node that has not finished changes nothing", async () => {
    const runId = await startRun([node("a"), node("b", ["a"])], { concurrency: 1, nodesPerDelivery: 1 });
    const text = JSON.stringify({
      status: 200,
      retried: 0,
      maxRetries: 3,
      sourceMessageId: "msg_a",
      sourceBody: btoa(JSON.stringify({ runId, nodeId: "a", advanceBy: "callback" })),
      body: "not base64!",
    });
    const cb = await SELF.fetch(`${ORIGIN}/internal/callback`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "upstash-signature": await sign(`${ORIGIN}/internal/callback`, text),
      },
      body: text,
    });
    expect(await cb.json()).toEqual({ kind: "ignored", reason: "no list in the answer; node queued" });
    const v = await view(runId);
    expect([v.nodes["a"]?.status, v.nodes["b"]?.status]).toEqual(["queued", "pending"]);
  });

  it("with advanceBy: callback, the output blob is written with the completion: a dependent reads it", async () => {
    const runId = await startRun([node("a"), node("b", ["a"], { prompt: "Summarise {{nodes.a.output}}" })], {
      concurrency: 1,
      nodesPerDelivery: 1,
    });
    const res = await execute(runId, "a", "msg_a", 0, { advanceBy: "callback" });
    expect(await res.json()).toMatchObject({ completion: { applied: true, dispatch: ["b"] } });
    const b = await execute(runId, "b", "msg_b", 0, { advanceBy: "callback" });
    expect(b.status).toBe(200);
    expect(await b.json()).toMatchObject({ nodeId: "b", completion: { applied: true, runStatus: "completed" } });
  });

  it("with advanceBy: callback, a failed attempt is only answered: the callback records it (not both)", async () => {
    const runId = await startRun([node("a", [], { simulate: { failAttempts: 1 } }), node("b"), node("c", ["a", "b"])], {
      concurrency: 1,
      nodesPerDelivery: 1,
    });
    const res = await execute(runId, "a", "msg_a", 0, { advanceBy: "callback" });
    expect(res.status).toBe(500);
    // still running: execute wrote nothing; QStash's callback of this attempt marks it retrying
    expect((await view(runId)).nodes["a"]).toMatchObject({ status: "running", error: null });
  });

  it("the failure callback of a message whose node another message's delivery holds leaves it to that holder", async () => {
    const runId = await startRun([node("a", [], { simulate: { latencyMs: 1500 } }), node("b", ["a"])]);
    const holder = execute(runId, "a", "msg_holder");
    for (let i = 0; i < 100 && (await view(runId)).nodes["a"]?.status !== "running"; i++)
      await new Promise((r) => setTimeout(r, 20));
    // another message of a used up its retries answering node-busy: its failure callback must not fail a
    const res = await failureCallback(runId, "a", "msg_busy");
    expect(await res.json()).toMatchObject({ kind: "failed", applied: false });
    expect((await view(runId)).nodes["a"]?.status).toBe("running");
    expect((await holder).status).toBe(200);
    expect((await view(runId)).nodes["a"]?.status).toBe("done");
  });

  it("a call whose attempt died before its paid record is booked by the next attempt at its worst case, once", async () => {
    const runId = await startRun([node("a", [], { simulate: { failAttempts: 1 } }), node("b", ["a"])]);
    expect((await execute(runId, "a", "msg_a", 0)).status).toBe(500);
    // as if attempt 1 had been answered and its delivery killed before the paid record: its intent alone is left
    const paidKey = `${env.KEY_PREFIX}:{run:${runId}}:paid`;
    await testRedis().hset(paidKey, { "a:1:intent": "100,1024,5000" });
    expect((await execute(runId, "a", "msg_a", 1)).status).toBe(200);
    const v = (await (
      await SELF.fetch(`${ORIGIN}/v1/runs/${runId}`, { headers: { authorization: "Bearer dev-key" } })
    ).json()) as {
      totals: { estimatedCalls: number; estimatedTokens: number };
      levels: { nodes: { id: string; paidCalls?: { attempt: number; tokens: number; estimated: boolean }[] }[] }[];
    };
    const a = v.levels.flatMap((l) => l.nodes).find((n) => n.id === "a");
    expect(a?.paidCalls?.map((c) => [c.attempt, c.estimated])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(a?.paidCalls?.[0]?.tokens).toBe(1124);
    expect(v.totals).toMatchObject({ estimatedCalls: 1, estimatedTokens: 1124 });
    // attempt 2 wrote its own intent before its call
    expect(await testRedis().hget(paidKey, "a:2:intent")).toMatch(/^\d+,\d+,\d+,\d+,0$/);
  });

  it("overspend: a call killed before its settle is charged to the run's budget at the run's finish, its hold closed once", async () => {
    const res = await postRun({
      workflow: workflow([node("a")]),
      simulate: { latencyMs: 1 },
      budget: { tokens: 100_000 },
    });
    const { runId } = (await res.json()) as { runId: string };
    // as if attempt 1 of a node "ghost" had reserved, called, and been killed before its paid record and its settle
    const prefix = `${env.KEY_PREFIX}:{run:${runId}}`;
    await testRedis().hset(`${prefix}:paid`, { "ghost:1:intent": "100,1024,5000" });
    await testRedis().hset(`${prefix}:budget:res`, { [`${runId}:ghost:1`]: `1200,0,${Date.now() + 3_600_000}` });
    await testRedis().hincrby(`${prefix}:budget`, "reservedTokens", 1200);
    expect((await execute(runId, "a", "msg_a", 0)).status).toBe(200);
    const v = (await (
      await SELF.fetch(`${ORIGIN}/v1/runs/${runId}`, { headers: { authorization: "Bearer dev-key" } })
    ).json()) as {
      status: string;
      totals: { estimatedTokens: number; inputTokens: number; outputTokens: number };
      budgetUsage?: { usedTokens: number; reservedTokens: number };
    };
    expect(v.status).toBe("completed");
    expect(v.totals.estimatedTokens).toBe(1124);
    // the budget holds the booked worst case of the killed call plus a's own usage, and nothing stays reserved
    expect(v.budgetUsage?.reservedTokens).toBe(0);
    expect(v.budgetUsage?.usedTokens).toBe(v.totals.inputTokens + v.totals.outputTokens);
    expect(await testRedis().hget(`${prefix}:budget:closed`, `${runId}:ghost:1`)).toBe("settled");
  });
});

/** `qstashMessagesPublished` of the local QStash emulator (a counter of every message it accepted). */
async function published(): Promise<number> {
  const stats = (await (await fetch(`${env.QSTASH_URL}/__stats`)).json()) as Record<string, number>;
  return stats["qstashMessagesPublished"] ?? 0;
}

describe("/internal/execute with chain: true runs the next node itself", () => {
  // b outranks c (it has a dependent), reads a's output, and d reads b's
  const diamond = (extra: Record<string, Record<string, unknown>> = {}) => [
    node("a", [], extra["a"]),
    node("b", ["a"], { prompt: "Go on from {{nodes.a.output}}", ...extra["b"] }),
    node("c", ["a"], extra["c"]),
    node("d", ["b"], { prompt: "Finish {{nodes.b.output}}", ...extra["d"] }),
  ];

  it("goes on with the highest-priority node each completion took, and publishes the others", async () => {
    const runId = await startRun(diamond());
    const before = await published();
    const res = await execute(runId, "a", "msg_a", 0, { chain: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      nodeId: "a",
      chained: ["b", "d"],
      advanced: { kind: "completed", applied: true, dispatched: 0 },
    });
    const v = await view(runId);
    expect(["a", "b", "c", "d"].map((id) => [v.nodes[id]?.status, v.nodes[id]?.attempts])).toEqual([
      ["done", 1],
      ["done", 1],
      ["queued", 0],
      ["done", 1],
    ]);
    // one message for c; b and d had none
    expect((await published()) - before).toBe(1);
    // c's own delivery finishes the run
    expect(await (await execute(runId, "c", "msg_c", 0, { chain: true })).json()).toMatchObject({
      chained: [],
      advanced: { runStatus: "completed" },
    });
  });

  it("without chain: true (an older message), runs its own node only", async () => {
    const runId = await startRun(diamond());
    expect(await (await execute(runId, "a", "msg_a")).json()).toMatchObject({
      chained: [],
      advanced: { dispatched: 2 },
    });
  });

  it("stops at the workflow's nodesPerDelivery, and the last completion's nodes are advanced as usual", async () => {
    const runId = await startRun(diamond(), { nodesPerDelivery: 2 });
    expect(await (await execute(runId, "a", "msg_a", 0, { chain: true })).json()).toMatchObject({
      chained: ["b"],
      advanced: { dispatched: 1 },
    });
    const v = await view(runId);
    expect([v.nodes["b"]?.status, v.nodes["c"]?.status, v.nodes["d"]?.status]).toEqual(["done", "queued", "queued"]);
  });

  it("with advanceBy: callback, answers the last completion's list for the callback to publish", async () => {
    // d's 3 ms make b (1 + 3) outrank c (1), and d outrank c once b is done
    const runId = await startRun(diamond({ d: { simulate: { latencyMs: 3 } } }), {
      concurrency: 1,
      nodesPerDelivery: 2,
    });
    const answer = (await (
      await execute(runId, "a", "msg_a", 0, { chain: true, advanceBy: "callback" })
    ).json()) as Record<string, unknown>;
    // one slot and, for a chaining run, no message ahead: a's completion took b only (chained); b's took d, which
    // the chain's limit leaves to the callback
    expect(answer).toMatchObject({
      nodeId: "a",
      chained: ["b"],
      completion: { applied: true, runStatus: "running", dispatch: ["d"] },
    });
    const v = await view(runId);
    expect([v.nodes["b"]?.status, v.nodes["c"]?.status, v.nodes["d"]?.status]).toEqual(["done", "pending", "queued"]);
  });

  it("hands a chained node whose attempt fails back to a message of its own, with the retries it has left", async () => {
    const runId = await startRun(diamond({ b: { simulate: { failAttempts: 1 } } }));
    const before = await published();
    const res = await execute(runId, "a", "msg_a", 0, { chain: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ nodeId: "a", chained: ["b"], advanced: { dispatched: 0 } });
    const v = await view(runId);
    expect(v.nodes["b"]).toMatchObject({
      status: "retrying",
      attempts: 1,
      error: expect.stringMatching(/simulated failure of attempt 1/),
    });
    expect(v.nodes["d"]?.status).toBe("pending");
    // c's message and b's own (delayed) message
    expect((await published()) - before).toBe(2);
    // b's own message runs it as its second attempt
    expect(await (await execute(runId, "b", "msg_b", 0, { chain: true, handedBack: true })).json()).toMatchObject({
      nodeId: "b",
      attempt: 2,
      chained: ["d"],
    });
  });

  it("hands back a chained node whatever its attempt threw (here the simulated call's own timeout)", async () => {
    const runId = await startRun(diamond({ b: { timeout: "50ms", simulate: { latencyMs: 400 } } }));
    const before = await published();
    const res = await execute(runId, "a", "msg_a", 0, { chain: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ nodeId: "a", chained: ["b"] });
    const v = await view(runId);
    expect(v.nodes["b"]).toMatchObject({
      status: "retrying",
      attempts: 1,
      error: expect.stringMatching(/timeout|timed out/i),
    });
    expect((await published()) - before).toBe(2);
  });

  it("fails a chained node with no retries left for good, skipping its descendants", async () => {
    const runId = await startRun(diamond({ b: { retries: 0, simulate: { failAttempts: 1 } } }));
    const res = await execute(runId, "a", "msg_a", 0, { chain: true });
    expect(res.status).toBe(200);
    const v = await view(runId);
    expect([v.nodes["a"]?.status, v.nodes["b"]?.status, v.nodes["c"]?.status, v.nodes["d"]?.status]).toEqual([
      "done",
      "failed",
      "queued",
      "skipped",
    ]);
  });

  it("the message's failure callback releases a chain node left running to a message of its own", async () => {
    const runId = await startRun(diamond({ b: { simulate: { latencyMs: 1500 } } }));
    // the delivery of a goes on with b, which runs for 1.5 s; meanwhile QStash gives up on the message (say it timed
    // out and its retries ran out) and sends the failure callback
    const delivery = execute(runId, "a", "msg_a", 0, { chain: true });
    for (let i = 0; i < 100 && (await view(runId)).nodes["b"]?.status !== "running"; i++)
      await new Promise((r) => setTimeout(r, 20));
    const before = await published();
    const res = await failureCallback(runId, "a", "msg_a");
    expect(await res.json()).toMatchObject({ kind: "failed", applied: false, dispatched: 2 });
    expect((await published()) - before).toBe(1); // b's own message; c's was published already (same dedup id)
    const v = await view(runId);
    expect([v.nodes["a"]?.status, v.nodes["b"]?.status, v.nodes["c"]?.status]).toEqual(["done", "queued", "queued"]);
    // the delivery that was still running b records it all the same (first to finish wins); b's own message then skips
    expect((await delivery).status).toBe(200);
    expect((await view(runId)).nodes["b"]?.status).toBe("done");
    expect(await (await execute(runId, "b", "msg_b", 0, { chain: true })).json()).toMatchObject({
      skipped: true,
      reason: "done",
    });
  });

  it("when a publish fails mid-chain, the chain stops after recording the node it ran; QStash's retry publishes what is still queued", async () => {
    const runId = await startRun(diamond());
    await chaos({ publishErrors: 1 });
    const first = await execute(runId, "a", "msg_a", 0, { chain: true });
    expect(first.status).toBe(500);
    let v = await view(runId);
    expect(["a", "b", "c", "d"].map((id) => v.nodes[id]?.status)).toEqual(["done", "done", "queued", "queued"]);
    // the retry runs nothing: it follows the chain a -> b and publishes c (a's) and d (b's)
    const again = await execute(runId, "a", "msg_a", 1, { chain: true });
    expect(await again.json()).toEqual({ skipped: true, reason: "done", dispatched: 2 });
    v = await view(runId);
    expect([v.nodes["b"]?.attempts, v.nodes["d"]?.attempts]).toEqual([1, 0]);
  });
});
