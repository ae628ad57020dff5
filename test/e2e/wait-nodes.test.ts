import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { streamRunEvents } from "../../shared/client/run-event-stream.js";
import { sweepRun } from "../../shared/engine/sweeper.js";
import type { RunEventBody } from "../../shared/state/run-events.js";
import { sweeperEngine } from "../support/sweeper-runs.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, type Problem, workflow } from "../support/workflows.js";

/**
 * Wait nodes through the worker, the local stack (its QStash delivers the timeout messages) and a real Redis, with
 * the simulated provider: a branch waits for its signal while an independent branch finishes; the signal's payload
 * reaches the next prompt; repeats change nothing; a timeout fails the node or takes its default; a rejection fails
 * it; another tenant cannot signal.
 */

const nodesOf = (v: RunViewBody) => Object.fromEntries(v.levels.flatMap((l) => l.nodes).map((n) => [n.id, n]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("wait nodes through the full stack", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      vars: { SIMULATED_LATENCY_MS: "50", API_KEYS: "dev:dev-key,acme:acme-key,cron:cron-dev-key" },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** `a → approve(wait) → b`, and `c` on its own; b's prompt reads the signal. */
  function approvalFlow(wait: Record<string, unknown>) {
    return workflow([
      node("a"),
      node("approve", ["a"], { kind: "wait", prompt: "Approve the plan?\n{{nodes.a.output}}", wait }),
      node("b", ["approve"], {
        prompt: "Do b for {{nodes.approve.output.payload.branch}} (approved: {{nodes.approve.output.approved}}).",
      }),
      node("c"),
    ]);
  }

  function signal(runId: string, nodeId: string, body: unknown, key = "dev-key"): Promise<Response> {
    return fetch(`${h.url}/v1/runs/${runId}/nodes/${nodeId}/signal`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
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

  it("an independent branch finishes while the wait node waits; the signal's payload reaches its dependent", async () => {
    const { runId } = await h.client.start({ workflow: approvalFlow({ timeout: "1h" }) });
    const waiting = await until(
      runId,
      (v) => nodesOf(v).approve?.status === "waiting" && nodesOf(v).c?.status === "done",
    );
    expect(waiting.status).toBe("running");
    expect(waiting.totals.waiting).toBe(1);
    const approve = nodesOf(waiting).approve;
    expect(approve?.wait?.question).toMatch(/^Approve the plan\?\n/);
    const deadline = Date.parse(approve?.wait?.deadline ?? "");
    expect(deadline - Date.now()).toBeGreaterThan(3_500_000);
    expect(nodesOf(waiting).b?.status).toBe("pending");
    // nothing happens to it while it waits
    await sleep(1500);
    expect(nodesOf(await h.client.get(runId)).approve?.status).toBe("waiting");

    // another tenant's run is not found, and nothing changes
    const foreign = await signal(runId, "approve", { payload: { branch: "x" } }, "acme-key");
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as Problem).type).toBe("https://agent-dag.dev/problems/not-found");
    expect(nodesOf(await h.client.get(runId)).approve?.status).toBe("waiting");

    const res = await signal(runId, "approve", { payload: { branch: "release-7" } });
    expect(res.status).toBe(200);
    const first = (await res.json()) as { approved: boolean; status: string; signalledAt: number; replayed: boolean };
    expect(first).toMatchObject({ approved: true, status: "done", replayed: false });
    const done = await h.waitForRun(runId, 30_000);
    expect(done.status).toBe("completed");
    const out = await h.client.output(runId);
    expect(out.outputs.b).toContain("Do b for release-7 (approved: true).");

    // the same signal again answers the same outcome and changes nothing
    const again = await signal(runId, "approve", { payload: { branch: "release-7" } });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ approved: true, signalledAt: first.signalledAt, replayed: true });
    // a different one is refused, naming the node
    const other = await signal(runId, "approve", { approved: false });
    expect(other.status).toBe(409);
    const p = (await other.json()) as Problem;
    expect(p.type).toBe("https://agent-dag.dev/problems/node-not-waiting");
    expect(p.errors?.[0]?.node).toBe("approve");
    await sleep(500);
    const after = await h.client.get(runId);
    expect(nodesOf(after).b?.attempts).toBe(1);
    expect(nodesOf(after).approve?.wait?.signal).toMatchObject({ approved: true, source: "signal" });
    expect(after.finishedAt).toBe(done.finishedAt);

    // the event log shows the wait and the signal
    const seen: RunEventBody[] = [];
    await streamRunEvents(runId, { baseUrl: h.url, apiKey: "dev-key", onEvent: (e) => seen.push(e) });
    const ofApprove = seen.filter((e) => e.node === "approve").map((e) => e.type);
    expect(ofApprove).toEqual(["queued", "started", "waiting", "signal", "done"]);
    expect(seen.find((e) => e.type === "waiting")).toMatchObject({ deadline: deadline });
  });

  it("a rejection fails the wait node and skips its dependent", async () => {
    const { runId } = await h.client.start({ workflow: approvalFlow({ timeout: "1h" }) });
    await until(runId, (v) => nodesOf(v).approve?.status === "waiting");
    const res = await signal(runId, "approve", { approved: false, payload: { why: "too risky" } });
    expect(await res.json()).toMatchObject({ approved: false, status: "failed" });
    const v = await h.waitForRun(runId, 30_000);
    expect(v.status).toBe("failed");
    expect(nodesOf(v).approve).toMatchObject({ status: "failed" });
    expect(nodesOf(v).approve?.error).toMatch(/^rejected by signal/);
    expect(nodesOf(v).approve?.error).toContain("too risky");
    expect(nodesOf(v).b?.status).toBe("skipped");
    expect(nodesOf(v).c?.status).toBe("done");
  });

  it("with no signal, a short timeout fails the node", async () => {
    const { runId } = await h.client.start({ workflow: approvalFlow({ timeout: "2s" }) });
    const v = await h.waitForRun(runId, 30_000);
    expect(v.status).toBe("failed");
    expect(nodesOf(v).approve).toMatchObject({ status: "failed", error: "no signal within 2s" });
    expect(nodesOf(v).approve?.wait?.signal).toMatchObject({ approved: false, source: "timeout" });
    expect(nodesOf(v).b?.status).toBe("skipped");
    // a signal after the timeout is refused
    const late = await signal(runId, "approve", {});
    expect(late.status).toBe(409);
  });

  it("cancel cancels a waiting node; a retry makes it wait again, and a signal then completes the run", async () => {
    const { runId } = await h.client.start({ workflow: approvalFlow({ timeout: "1h" }) });
    const first = await until(
      runId,
      (v) => nodesOf(v).approve?.status === "waiting" && nodesOf(v).c?.status === "done",
    );
    await h.client.cancel(runId);
    const cancelled = await h.client.get(runId);
    expect(cancelled.status).toBe("cancelled");
    expect(nodesOf(cancelled).approve?.status).toBe("cancelled");
    expect((await signal(runId, "approve", {})).status).toBe(409);
    await h.client.retry(runId);
    const again = await until(runId, (v) => nodesOf(v).approve?.status === "waiting");
    expect(again.status).toBe("running");
    expect(nodesOf(again).approve?.wait?.deadline).not.toBe(nodesOf(first).approve?.wait?.deadline);
    expect(nodesOf(again).approve?.wait?.signal).toBeNull();
    expect(await (await signal(runId, "approve", { payload: { branch: "retried" } })).json()).toMatchObject({
      replayed: false,
    });
    expect((await h.waitForRun(runId, 30_000)).status).toBe("completed");
    expect((await h.client.output(runId)).outputs.b).toContain("Do b for retried");
  });

  it("the sweeper leaves a waiting node alone before its deadline and applies a lost timeout after it", async () => {
    const engine = sweeperEngine(h); // 1 s grace
    const { runId } = await h.client.start({ workflow: approvalFlow({ timeout: "3s" }) });
    await until(runId, (v) => nodesOf(v).approve?.status === "waiting" && nodesOf(v).c?.status === "done");
    // the timeout message is lost
    expect(await engine.dispatcher.cancel(runId)).toBe(1);
    expect(await sweepRun(engine, runId, Date.now())).toEqual([]);
    expect(nodesOf(await h.client.get(runId)).approve?.status).toBe("waiting");
    await sleep(4_500); // past the deadline and the grace
    expect(await sweepRun(engine, runId, Date.now())).toEqual([{ runId, nodeId: "approve", reason: "wait-timeout" }]);
    const v = await h.waitForRun(runId, 30_000);
    expect(v.status).toBe("failed");
    expect(nodesOf(v).approve).toMatchObject({ status: "failed", error: "no signal within 3s" });
  });

  it("wait.when false completes the node at once, unasked; true makes it wait as usual", async () => {
    const wf = approvalFlow({ timeout: "1h", when: "{{input.risky}}" });
    const calm = await h.client.start({ workflow: wf, input: { risky: false } });
    const v = await h.waitForRun(calm.runId, 30_000);
    expect(v.status).toBe("completed");
    expect(nodesOf(v).approve).toMatchObject({
      status: "done",
      excerpt: '{"approved":true,"payload":null,"asked":false}',
    });
    expect(nodesOf(v).approve?.wait).toMatchObject({ asked: false, question: null, deadline: null });
    expect(nodesOf(v).approve?.wait?.signal).toMatchObject({ approved: true, source: "condition" });
    expect(v.totals.waiting).toBe(0);
    expect((await h.client.output(calm.runId)).outputs.b).toContain("(approved: true).");
    // nobody was asked, so there is nothing to signal
    expect((await signal(calm.runId, "approve", {})).status).toBe(409);
    const seen: RunEventBody[] = [];
    await streamRunEvents(calm.runId, { baseUrl: h.url, apiKey: "dev-key", onEvent: (e) => seen.push(e) });
    expect(seen.filter((e) => e.node === "approve").map((e) => e.type)).toEqual(["queued", "started", "done"]);

    const risky = await h.client.start({ workflow: wf, input: { risky: true } });
    const waiting = await until(risky.runId, (x) => nodesOf(x).approve?.status === "waiting");
    expect(nodesOf(waiting).approve?.wait).toMatchObject({ asked: true, question: expect.stringMatching(/^Approve/) });
    await signal(risky.runId, "approve", { payload: { branch: "main" } });
    const done = await h.waitForRun(risky.runId, 30_000);
    expect(done.status).toBe("completed");
    expect(JSON.parse(nodesOf(done).approve?.excerpt ?? "null")).toMatchObject({ approved: true, asked: true });
    expect((await h.client.output(risky.runId)).outputs.b).toContain("Do b for main (approved: true).");
  });

  it('with onTimeout "default", the timeout takes the default signal', async () => {
    const wait = { timeout: "2s", onTimeout: "default", default: { approved: true, payload: { branch: "auto" } } };
    const { runId } = await h.client.start({ workflow: approvalFlow(wait) });
    const v = await h.waitForRun(runId, 30_000);
    expect(v.status).toBe("completed");
    expect(nodesOf(v).approve?.wait?.signal).toMatchObject({ approved: true, source: "timeout" });
    const out = await h.client.output(runId);
    expect(out.outputs.b).toContain("Do b for auto (approved: true).");
  });
});
