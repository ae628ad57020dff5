import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runKeys } from "../../shared/state/keys.js";
import { hashReply, RunStore } from "../../shared/state/run-store.js";
import { node, type Problem, workflow } from "../support/workflows.js";
import { postRun, sign, testRedis } from "./helpers.js";

/**
 * `POST /v1/runs/:id/nodes/:node/signal` and `/internal/wait-timeout` in workerd: every bad request answers a
 * problem naming the field or the node and changes nothing; a signal to a waiting node decides it once. (The QStash
 * emulator cannot reach the test worker, so the test parks the wait node itself, as a delivery would.)
 */

const BASE = "http://agent-dag.test/v1/runs";

function signal(
  runId: string,
  nodeId: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return SELF.fetch(`${BASE}/${runId}/nodes/${nodeId}/signal`, {
    method: "POST",
    headers: { authorization: "Bearer dev-key", "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

async function problemOf(res: Response): Promise<Problem> {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return (await res.json()) as Problem;
}

/** Starts `a → approve(wait) → b`; a is queued (no delivery reaches the test worker). */
async function startRun(): Promise<string> {
  const res = await postRun({
    workflow: workflow(
      [
        node("a"),
        node("approve", ["a"], { kind: "wait", prompt: "Ship {{nodes.a.output}}?", wait: { timeout: "1h" } }),
        node("b", ["approve"], { prompt: "Do b: {{nodes.approve.output.payload.note}}" }),
      ],
      { name: `signal-${crypto.randomUUID().slice(0, 8)}` },
    ),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

/** Moves the run as deliveries would: a done, approve claimed and parked (waiting). */
async function parkApprove(runId: string): Promise<void> {
  const store = new RunStore(testRedis(), env.KEY_PREFIX as string);
  const now = Date.now();
  await store.claimNode(runId, "a", "m1:0", now);
  await store.completeNode(runId, "a", {
    outputRef: "0".repeat(64),
    inputTokens: 1,
    outputTokens: 1,
    model: "m",
    excerpt: "e",
    startedAt: now,
    finishedAt: now,
  });
  await store.claimNode(runId, "approve", "m2:0", now);
  const parked = await store.parks.park(runId, "approve", "m2:0", { now, deadline: now + 3_600_000, note: "Ship?" });
  expect(parked.kind).toBe("parked");
}

/** Everything stored about a run, to show a refused request changed nothing. */
async function stateOf(runId: string): Promise<unknown> {
  const redis = testRedis();
  const k = runKeys(env.KEY_PREFIX as string, runId);
  return Promise.all([redis.hgetall(k.meta), redis.hgetall(k.status), redis.hgetall(k.output), redis.xlen(k.events)]);
}

describe("signal: bad requests change nothing", () => {
  it("a bad body answers 422 naming the field; an oversized one 413; malformed JSON 400", async () => {
    const runId = await startRun();
    await parkApprove(runId);
    const before = await stateOf(runId);
    let res = await signal(runId, "approve", { approved: "yes" });
    expect(res.status).toBe(422);
    expect((await problemOf(res)).errors?.[0]?.pointer).toBe("/approved");
    res = await signal(runId, "approve", { approve: true });
    expect(res.status).toBe(422);
    expect(JSON.stringify((await problemOf(res)).errors)).toContain("approve");
    res = await signal(runId, "approve", "{not json");
    expect(res.status).toBe(400);
    res = await signal(runId, "approve", { payload: "x".repeat(70_000) });
    expect(res.status).toBe(413);
    res = await signal(runId, "approve", {}, { "idempotency-key": "" });
    expect(res.status).toBe(422);
    expect(await stateOf(runId)).toEqual(before);
  });

  it("another tenant's run, an unknown run and an unknown node answer 404; the unknown node is named", async () => {
    const runId = await startRun();
    await parkApprove(runId);
    const before = await stateOf(runId);
    let res = await signal(runId, "approve", {}, { authorization: "Bearer acme-key" });
    expect(res.status).toBe(404);
    expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/not-found");
    res = await signal("run_ffffffffffffffffffffffffff", "approve", {});
    expect(res.status).toBe(404);
    res = await signal(runId, "nope", {});
    expect(res.status).toBe(404);
    const p = await problemOf(res);
    expect(p.detail).toContain('"nope"');
    expect(p.errors?.[0]?.node).toBe("nope");
    expect(await stateOf(runId)).toEqual(before);
  });

  it("a node that is not waiting, or not a wait node, answers 409 node-not-waiting naming it", async () => {
    const runId = await startRun();
    const before = await stateOf(runId);
    // approve is still pending (a has not run)
    let res = await signal(runId, "approve", {});
    expect(res.status).toBe(409);
    let p = await problemOf(res);
    expect(p.type).toBe("https://agent-dag.dev/problems/node-not-waiting");
    expect(p.detail).toContain("pending");
    expect(p.errors?.[0]?.node).toBe("approve");
    // a is an llm node
    res = await signal(runId, "a", {});
    expect(res.status).toBe(409);
    p = await problemOf(res);
    expect(p.detail).toContain("llm");
    expect(p.errors?.[0]?.node).toBe("a");
    expect(await stateOf(runId)).toEqual(before);
  });
});

describe("signal: a waiting node", () => {
  it("is decided once: approved, it is done with the signal as output and releases its dependent", async () => {
    const runId = await startRun();
    await parkApprove(runId);
    const view = (await (
      await SELF.fetch(`${BASE}/${runId}`, { headers: { authorization: "Bearer dev-key" } })
    ).json()) as {
      levels: { nodes: { id: string; status: string; wait?: { question: string; deadline: string } }[] }[];
    };
    const approveView = view.levels.flatMap((l) => l.nodes).find((n) => n.id === "approve");
    expect(approveView).toMatchObject({ status: "waiting", wait: { question: "Ship?" } });

    const res = await signal(runId, "approve", { payload: { note: "go" } }, { "idempotency-key": "sig-1" });
    expect(res.status).toBe(200);
    const first = (await res.json()) as { signalledAt: number };
    expect(first).toMatchObject({ approved: true, status: "done", replayed: false });
    const redis = testRedis();
    const k = runKeys(env.KEY_PREFIX as string, runId);
    expect(hashReply(await redis.hgetall(k.status))).toEqual({ a: "done", approve: "done", b: "queued" });
    const ref = String(await redis.hget(k.output, "approve"));
    const blob = await redis.get(`${env.KEY_PREFIX}:blob:${ref}`);
    expect(JSON.parse(String(blob))).toEqual({
      approved: true,
      payload: { note: "go" },
      signalledAt: first.signalledAt,
      asked: true,
    });

    const after = await stateOf(runId);
    // the same key, or the same signal, answers the same; another signal under the key is a conflict
    const byKey = await signal(runId, "approve", { payload: { note: "go" } }, { "idempotency-key": "sig-1" });
    expect(await byKey.json()).toMatchObject({ replayed: true, signalledAt: first.signalledAt });
    const same = await signal(runId, "approve", { approved: true, payload: { note: "go" } });
    expect(await same.json()).toMatchObject({ replayed: true, signalledAt: first.signalledAt });
    const conflict = await signal(runId, "approve", { approved: false }, { "idempotency-key": "sig-1" });
    expect(conflict.status).toBe(409);
    expect((await problemOf(conflict)).type).toBe("https://agent-dag.dev/problems/idempotency-conflict");
    const other = await signal(runId, "approve", { approved: false });
    expect(other.status).toBe(409);
    expect((await problemOf(other)).type).toBe("https://agent-dag.dev/problems/node-not-waiting");
    expect(await stateOf(runId)).toEqual(after);
  });

  it("its timeout message is signature-checked and changes nothing before the deadline", async () => {
    const runId = await startRun();
    await parkApprove(runId);
    const before = await stateOf(runId);
    const url = "http://agent-dag.test/internal/wait-timeout";
    const body = JSON.stringify({ runId, nodeId: "approve", generation: 0 });
    const unsigned = await SELF.fetch(url, { method: "POST", body });
    expect(unsigned.status).toBe(401);
    const generation = Number(
      (await testRedis().hget(runKeys(env.KEY_PREFIX as string, runId).meta, "createdAt")) ?? 0,
    );
    const signed = JSON.stringify({ runId, nodeId: "approve", generation });
    const res = await SELF.fetch(url, {
      method: "POST",
      headers: { "upstash-signature": await sign(url, signed), "content-type": "application/json" },
      body: signed,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ applied: false, reason: "early" });
    expect(await stateOf(runId)).toEqual(before);
  });
});
