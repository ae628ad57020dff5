import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runKeys } from "../../shared/state/keys.js";
import { node, type Problem, workflow } from "../support/workflows.js";
import { postRun, testRedis } from "./helpers.js";

/**
 * `POST /v1/runs/:id/cancel|retry|rerun` in workerd: every bad input answers problem+json naming the field, and
 * changes nothing. (The QStash emulator cannot reach the test worker, so a started run stays `running` here.)
 */

const BASE = "http://agent-dag.test/v1/runs";

function act(
  runId: string,
  action: "cancel" | "retry" | "rerun",
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return SELF.fetch(`${BASE}/${runId}/${action}`, {
    method: "POST",
    headers: { authorization: "Bearer dev-key", "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

async function problemOf(res: Response): Promise<Problem> {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return (await res.json()) as Problem;
}

async function startRun(): Promise<string> {
  const res = await postRun({
    workflow: workflow([node("a"), node("b", ["a"]), node("c", ["b"])], {
      name: `actions-${crypto.randomUUID().slice(0, 8)}`,
    }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

/** Everything stored about a run, to show a refused request changed nothing. */
async function stateOf(runId: string): Promise<unknown> {
  const redis = testRedis();
  const k = runKeys(env.KEY_PREFIX as string, runId);
  return Promise.all([redis.hgetall(k.meta), redis.hgetall(k.status), redis.hgetall(k.history)]);
}

describe("run actions: bad input", () => {
  it("an unknown run, a malformed id and another tenant's run answer 404 for every action", async () => {
    const runId = await startRun();
    const before = await stateOf(runId);
    for (const action of ["cancel", "retry", "rerun"] as const) {
      const body = action === "rerun" ? { from: "a" } : undefined;
      for (const [id, headers] of [
        ["run_ffffffffffffffffffffffffff", {}],
        ["not-a-run", {}],
        [runId, { authorization: "Bearer acme-key" }],
      ] as const) {
        const res = await act(id, action, body, headers);
        expect(res.status, `${action} ${id}`).toBe(404);
        expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/not-found");
      }
    }
    expect(await stateOf(runId)).toEqual(before);
  });

  it("retry and rerun of a running run answer 409 run-running; bodies are checked first", async () => {
    const runId = await startRun();
    const before = await stateOf(runId);
    let res = await act(runId, "retry");
    expect(res.status).toBe(409);
    expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/run-running");
    res = await act(runId, "rerun", { from: "b" });
    expect(res.status).toBe(409);
    expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/run-running");
    // body problems name the field
    res = await act(runId, "rerun", {});
    expect(res.status).toBe(422);
    expect((await problemOf(res)).errors?.[0]?.pointer).toBe("/from");
    res = await act(runId, "rerun", { from: 7 });
    expect(res.status).toBe(422);
    expect((await problemOf(res)).errors?.[0]?.pointer).toBe("/from");
    res = await act(runId, "rerun", { from: "ghost" });
    expect(res.status).toBe(422);
    const ghost = await problemOf(res);
    expect(ghost.errors?.[0]?.pointer).toBe("/from");
    expect(ghost.detail).toMatch(/ghost/);
    res = await act(runId, "retry", { from: "a" }); // retry takes no fields
    expect(res.status).toBe(422);
    expect((await problemOf(res)).errors?.[0]?.pointer).toBe("/from");
    res = await act(runId, "retry", "{not json");
    expect(res.status).toBe(400);
    expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/malformed-json");
    res = await act(runId, "retry", undefined, { "idempotency-key": "k".repeat(300) });
    expect(res.status).toBe(422);
    expect((await problemOf(res)).errors?.[0]?.detail).toMatch(/Idempotency-Key/);
    expect(await stateOf(runId)).toEqual(before);
  });

  it("cancel is idempotent; a finished run is a 409 run-finished; a blocked rerun names /from", async () => {
    const runId = await startRun();
    let res = await act(runId, "cancel");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ runId, status: "cancelled", alreadyCancelled: false, nodesCancelled: 3 });
    res = await act(runId, "cancel");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "cancelled", alreadyCancelled: true });
    const view = (await (
      await SELF.fetch(`${BASE}/${runId}`, { headers: { authorization: "Bearer dev-key" } })
    ).json()) as {
      status: string;
      totals: { cancelled: number };
    };
    expect(view).toMatchObject({ status: "cancelled", totals: { cancelled: 3 } });
    // b depends on a, which never ran: a rerun from b cannot start
    const before = await stateOf(runId);
    res = await act(runId, "rerun", { from: "b" });
    expect(res.status).toBe(409);
    const blocked = await problemOf(res);
    expect(blocked.type).toBe("https://agent-dag.dev/problems/rerun-blocked");
    expect(blocked.errors?.[0]?.pointer).toBe("/from");
    expect(await stateOf(runId)).toEqual(before);

    // a completed run cannot be cancelled, nor retried
    const done = await startRun();
    await testRedis().hset(runKeys(env.KEY_PREFIX as string, done).meta, { status: "completed" });
    const beforeDone = await stateOf(done);
    res = await act(done, "cancel");
    expect(res.status).toBe(409);
    expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/run-finished");
    res = await act(done, "retry");
    expect(res.status).toBe(409);
    expect((await problemOf(res)).type).toBe("https://agent-dag.dev/problems/run-finished");
    expect(await stateOf(done)).toEqual(beforeDone);
  });

  it("retry resumes a cancelled run; the same Idempotency-Key answers the same without a second try", async () => {
    const runId = await startRun();
    await act(runId, "cancel");
    const first = await act(runId, "retry", undefined, { "idempotency-key": "retry-1" });
    expect(first.status).toBe(202);
    const body = await first.json();
    expect(body).toMatchObject({ runId, status: "running", try: 2, reset: 3 });
    const after = await stateOf(runId);
    const again = await act(runId, "retry", undefined, { "idempotency-key": "retry-1" });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(body);
    expect(await stateOf(runId)).toEqual(after);
    // the same key for another action is a conflict
    const other = await act(runId, "rerun", { from: "a" }, { "idempotency-key": "retry-1" });
    expect(other.status).toBe(409);
    expect((await problemOf(other)).type).toBe("https://agent-dag.dev/problems/idempotency-conflict");
  });
});
