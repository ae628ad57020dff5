import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../shared/engine/engine.js";
import { sweep } from "../../shared/engine/sweeper.js";
import type { LoggedRequest, UsageLog } from "../../shared/providers/usage-log.js";
import { blobKey, runKeys } from "../../shared/state/keys.js";
import {
  startWithoutPublishing as startWithoutPublishingIn,
  sweepAfterGrace as sweepAfterGraceIn,
  sweeperEngine,
} from "../support/sweeper-runs.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

/**
 * The sweeper heals each stuck state a run can be left in, end to end: each test creates the state for real (a
 * crash before the roots' publish, a deleted message, a delivery that died holding its node, a publish QStash
 * refused for good), then calls the sweeper as the cron would (at most twice, grace period 1 s) and the worker in
 * workerd runs the run to completion.
 */
describe("sweeper: stuck runs are healed", () => {
  let h: Harness;
  let engine: Engine;
  let redis: Redis;

  beforeAll(async () => {
    h = await startHarness({ vars: { SWEEPER_GRACE_SECONDS: "1" } });
    engine = sweeperEngine(h);
    redis = new Redis({ url: h.stack.redisRestUrl, token: h.stack.redisToken, automaticDeserialization: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  const startWithoutPublishing = (nodes: unknown[], agoMs = 0) => startWithoutPublishingIn(engine, h.url, nodes, agoMs);
  const sweepAfterGrace = (runId: string) => sweepAfterGraceIn(engine, runId);

  async function nodeStatus(runId: string): Promise<Record<string, string>> {
    const view = await h.client.get(runId);
    return Object.fromEntries(view.levels.flatMap((l) => l.nodes.map((n) => [n.id, n.status])));
  }

  it("roots never published after start_run: re-offered, the run completes; keys and blobs kept alive", async () => {
    const runId = await startWithoutPublishing([node("a"), node("b", ["a"])]);
    expect(await nodeStatus(runId)).toEqual({ a: "queued", b: "pending" });
    const meta = runKeys(h.prefix, runId).meta;
    await redis.expire(meta, 100);
    const { repairs } = await sweepAfterGrace(runId);
    expect(repairs).toEqual(["a:root-not-published"]);
    // the active run's keys get the active TTL again, its input blob the retention (60 s) plus two periods
    expect(await redis.ttl(meta)).toBeGreaterThan(7 * 24 * 3600 - 60);
    const frozen = await engine.store.readFrozen(runId);
    expect(await redis.ttl(blobKey(h.prefix, frozen?.inputRef ?? ""))).toBeGreaterThan(170);
    const view = await h.waitForRun(runId, 30_000);
    expect(view.status).toBe("completed");
    expect(view.repairs).toEqual([{ at: expect.any(String), nodeId: "a", reason: "root-not-published" }]);
    // the next look finds the run finished and drops it from the active index
    const after = await sweep({ ...engine, now: () => Date.now() + 120_000 });
    expect(after.dropped).toContain(runId);
    expect(await redis.zscore(`${h.prefix}:active`, runId)).toBeNull();
  });

  it("a finished run's call whose answer was lost stays in the index until the usage log settles it", async () => {
    const runId = await startWithoutPublishing([node("a")]);
    // the attempt wrote its intent, then its delivery died; the run was cancelled meanwhile
    const intentAt = Date.now();
    await engine.store.recordIntent(
      runId,
      "a",
      1,
      { inputTokens: 100, outputTokens: 1024, costMicroUsd: 5000 },
      intentAt,
      true,
    );
    expect((await engine.store.cancelRun(runId, Date.now())).outcome).toBe("cancelled");
    const billed: LoggedRequest[] = [];
    const log: UsageLog = {
      name: "scripted",
      requestsOf: async (key) => (key === `${runId}/a/1` ? billed : []),
      hasEntriesAfter: async () => false,
    };
    const withLog = (now: number): Engine => ({
      ...engine,
      usageLog: { log, providers: new Set(["anthropic"]), settleMs: 1_000, horizonMs: 600_000 },
      now: () => now,
    });
    // settled, but the log has nothing yet: booked at its worst case, and the run stays in the index
    let report = await sweep(withLog(Date.now() + 120_000));
    expect(report.dropped).not.toContain(runId);
    expect(await redis.zscore(`${h.prefix}:active`, runId)).not.toBeNull();
    expect((await h.client.get(runId)).totals).toMatchObject({ estimatedCalls: 1, estimatedTokens: 1124 });
    // the log now has the billed call: the next look books it exactly and drops the run
    billed.push({ createdAtMs: intentAt + 5, billed: true, inputTokens: 90, outputTokens: 30, costUsd: 0.0002 });
    report = await sweep(withLog(Date.now() + 240_000));
    expect(report.dropped).toContain(runId);
    const view = await h.client.get(runId);
    expect(view.totals).toMatchObject({ inputTokens: 90, outputTokens: 30, estimatedCalls: 0, reconciledCalls: 1 });
    expect(view.levels[0]?.nodes[0]?.paidCalls).toEqual([
      { attempt: 1, tokens: 120, estimated: false, reconciled: true },
    ]);
  });

  it("a lost call absent from a log written past it is booked as none; one not made through the gateway stays", async () => {
    const runId = await startWithoutPublishing([node("a"), node("b")]);
    const worst = { inputTokens: 100, outputTokens: 1024, costMicroUsd: 5000 };
    const intentAt = Date.now();
    await engine.store.recordIntent(runId, "a", 1, worst, intentAt, true);
    // b's provider is not reached through the gateway: its call is not tagged and cannot be read back
    await engine.store.recordIntent(runId, "b", 1, worst, intentAt, false);
    expect((await engine.store.cancelRun(runId, Date.now())).outcome).toBe("cancelled");
    const asked: string[] = [];
    const log: UsageLog = {
      name: "scripted",
      requestsOf: async (key) => {
        asked.push(key);
        return [];
      },
      hasEntriesAfter: async (t) => t <= intentAt,
    };
    const report = await sweep({
      ...engine,
      usageLog: { log, providers: new Set(["anthropic"]), settleMs: 1_000, horizonMs: 600_000 },
      now: () => Date.now() + 120_000,
    });
    expect(report.dropped).toContain(runId);
    expect(asked).toEqual([`${runId}/a/1`]);
    const view = await h.client.get(runId);
    expect(view.totals).toMatchObject({ estimatedCalls: 1, estimatedTokens: 1124, voidedCalls: 1, inputTokens: 100 });
    const calls = Object.fromEntries(view.levels.flatMap((l) => l.nodes.map((n) => [n.id, n.paidCalls])));
    expect(calls).toEqual({ b: [{ attempt: 1, tokens: 1124, estimated: true }] });
  });

  it("a running node whose delivery died (past its deadline, no retry): re-offered, taken over, completed", async () => {
    // started an hour ago; its root's delivery began a second later and died without a retry
    const runId = await startWithoutPublishing([node("a"), node("b", ["a"])], 3_600_000);
    const claimed = await engine.store.claimNode(runId, "a", "msg_dead:0", Date.now() - 3_599_000);
    expect(claimed.claimed).toBe(true);
    const { repairs } = await sweepAfterGrace(runId);
    expect(repairs).toEqual(["a:lease-expired"]);
    const view = await h.waitForRun(runId, 30_000);
    expect(view.status).toBe("completed");
    expect(view.levels[0]?.nodes[0]?.attempts).toBe(2);
  });

  it("a queued node whose message was deleted: re-offered, the run completes", async () => {
    h.stack.setChaos({ deliveryDelayMs: 1_500 });
    const { runId } = await h.client.start({ workflow: workflow([node("a"), node("b", ["a"])]) });
    const cancelled = await fetch(`${h.stack.qstashUrl}/v2/messages?flowControlKey=agent-dag.${runId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${h.stack.qstashToken}` },
    });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { cancelled: number }).cancelled).toBe(1);
    h.stack.setChaos({ deliveryDelayMs: 0 });
    await h.stack.idle();
    expect(await nodeStatus(runId)).toEqual({ a: "queued", b: "pending" });
    const { repairs } = await sweepAfterGrace(runId);
    expect(repairs).toEqual(["a:root-not-published"]);
    expect((await h.waitForRun(runId, 30_000)).status).toBe("completed");
  });

  it("a finished node whose dependents' publish QStash refused for good: dependents re-offered, run completes", async () => {
    const { runId } = await h.client.start({
      workflow: workflow([node("a", [], { retries: 0, simulate: { latencyMs: 300 } }), node("b", ["a"])], {
        nodesPerDelivery: 1,
      }),
    });
    // the root is published; every publish from now on is refused (the completion's, the failure callback's)
    h.stack.setChaos({ publishErrors: 1_000_000 });
    const deadline = Date.now() + 20_000;
    while ((await nodeStatus(runId)).a !== "done" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await h.stack.idle();
    h.stack.setChaos({ publishErrors: 0 });
    expect(await nodeStatus(runId)).toEqual({ a: "done", b: "queued" });
    const { repairs } = await sweepAfterGrace(runId);
    expect(repairs).toEqual(["b:dependents-not-offered"]);
    expect((await h.waitForRun(runId, 30_000)).status).toBe("completed");
  });
});
