import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { isStreamId, nextStreamId, type RunEvent } from "../../../shared/state/run-events.js";
import { RunStore } from "../../../shared/state/run-store.js";
import { SweepStore } from "../../../shared/state/sweep-store.js";
import { startTestRun } from "../../support/state-runs.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

/**
 * The run event log: each transition script appends the events of what it changed, a duplicate or refused
 * transition appends nothing, and a reader resumes after any id without a gap or a repeat. On both backends of the
 * local Upstash REST server (a real Redis and the in-memory store).
 */
describe.each(STORE_BACKENDS)("run event log on $name", ({ memory }) => {
  const prefix = `test-events-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let store: RunStore;
  let sweeps: SweepStore;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    const redis = storeRedis(stack);
    store = new RunStore(redis, prefix);
    sweeps = new SweepStore(redis, prefix);
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  let seq = 0;
  async function start(deps: Record<string, string[]>) {
    const runId = `run_${(++seq).toString(16).padStart(26, "0")}`;
    await startTestRun(store, runId, deps, { createdAt: 0 });
    return runId;
  }

  const completion = {
    outputRef: "r",
    inputTokens: 3,
    outputTokens: 4,
    model: "m",
    excerpt: "e",
    startedAt: 1,
    finishedAt: 2,
    paidAttempt: 1,
    costMicroUsd: 7,
    cache: { outcome: "miss" as const, savedTokens: 0, savedMicroUsd: 0 },
  };

  /** Every event of the run, read in pages of 2 to exercise resuming. */
  async function all(runId: string): Promise<RunEvent[]> {
    const out: RunEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.readEvents(runId, after, 2);
      if (!page || page.events.length === 0) return out;
      out.push(...page.events);
      after = page.events.at(-1)?.id;
    }
  }
  const brief = (events: RunEvent[]) => events.map((e) => (e.node ? `${e.type}:${e.node}` : e.type));

  /** The events a call appended: those after the last id before it. */
  async function during(runId: string, fn: () => Promise<unknown>): Promise<RunEvent[]> {
    const before = (await all(runId)).at(-1)?.id;
    await fn();
    return (await store.readEvents(runId, before, 1000))?.events ?? [];
  }

  it("start_run emits run-started and one queued per root", async () => {
    const runId = await start({ a: [], b: [], c: ["a", "b"] });
    const events = await all(runId);
    expect(brief(events)).toEqual(["run-started", expect.stringMatching(/^queued:[ab]$/), expect.any(String)]);
    expect(new Set(brief(events).slice(1))).toEqual(new Set(["queued:a", "queued:b"]));
    expect(events[0]?.fields.nodes).toBe("3");
    for (const e of events) expect(isStreamId(e.id)).toBe(true);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("claim and complete emit started and done once; their duplicates emit nothing", async () => {
    const runId = await start({ a: [], b: ["a"] });
    const claimed = await during(runId, () => store.claimNode(runId, "a", "m1:0", 10));
    expect(brief(claimed)).toEqual(["started:a"]);
    expect(claimed[0]?.fields).toEqual({ attempt: "1", lease: "m1:0" });
    expect(await during(runId, () => store.claimNode(runId, "a", "m1:0", 11))).toEqual([]);

    const completed = await during(runId, () => store.completeNode(runId, "a", completion));
    expect(brief(completed)).toEqual(["done:a", "queued:b"]);
    expect(completed[0]?.fields).toMatchObject({ usage: "3,4,0,0", costMicroUsd: "7", cache: "miss", model: "m" });
    expect(completed[0]?.fields.route).toBe("");
    expect(await during(runId, () => store.completeNode(runId, "a", completion))).toEqual([]);
    expect(await during(runId, () => store.claimNode(runId, "a", "m1:1", 12))).toEqual([]);

    await store.claimNode(runId, "b", "m2:0", 13);
    const last = await during(runId, () => store.completeNode(runId, "b", completion));
    expect(brief(last)).toEqual(["done:b", "run-finished"]);
    expect(last[1]?.fields.status).toBe("completed");
  });

  it("retrying, handed-back and deferred are emitted only by the lease holder", async () => {
    const runId = await start({ a: [], b: [], c: [] });
    await store.claimNode(runId, "a", "m1:0", 10);
    expect(await during(runId, () => store.retryNode(runId, "a", "boom", "other:0"))).toEqual([]);
    const retrying = await during(runId, () => store.retryNode(runId, "a", "boom", "m1:0"));
    expect(brief(retrying)).toEqual(["retrying:a"]);
    expect(retrying[0]?.fields.error).toBe("boom");
    expect(await during(runId, () => store.retryNode(runId, "a", "boom", "m1:0"))).toEqual([]);

    await store.claimNode(runId, "b", "m2:0", 10);
    expect(brief(await during(runId, () => store.retryNode(runId, "b", "e", "m2:0", true)))).toEqual(["handed-back:b"]);
    await store.claimNode(runId, "c", "m3:0", 10);
    expect(brief(await during(runId, () => store.deferNode(runId, "c", "m3:0")))).toEqual(["deferred:c"]);
    expect(await during(runId, () => store.deferNode(runId, "c", "m3:0"))).toEqual([]);
  });

  it("fail_node emits failed and one skipped per descendant; cancel emits cancel, cancelled, run-finished", async () => {
    const runId = await start({ a: [], b: ["a"], c: ["b"], d: [] });
    await store.claimNode(runId, "a", "m1:0", 10);
    const failed = await during(runId, () => store.failNode(runId, "a", "bad", 20, "m1:0"));
    expect(brief(failed)).toEqual(["failed:a", "skipped:b", "skipped:c"]);
    expect(failed[0]?.fields).toMatchObject({ error: "bad", policy: "skip-dependents" });
    expect(await during(runId, () => store.failNode(runId, "a", "bad", 21))).toEqual([]);

    const cancelled = await during(runId, () => store.cancelRun(runId, 30));
    expect(brief(cancelled)).toEqual(["cancel", "cancelled:d", "run-finished"]);
    expect(cancelled[2]?.fields.status).toBe("cancelled");
    expect(await during(runId, () => store.cancelRun(runId, 31))).toEqual([]);

    const retried = await during(runId, () =>
      store.retryRun(runId, { now: 40, generation: 40, activeTtlSeconds: 600 }),
    );
    expect(retried[0]?.type).toBe("retry");
    expect(retried[0]?.fields.try).toBe("2");
    expect(retried[0]?.fields.nodes?.split(",").sort()).toEqual(["a", "b", "c", "d"]);
    expect(new Set(brief(retried.slice(1)))).toEqual(new Set(["queued:a", "queued:d"]));
    expect(
      await during(runId, () => store.retryRun(runId, { now: 41, generation: 41, activeTtlSeconds: 600 })),
    ).toEqual([]);
  });

  it("sweep_run emits one repair per node it re-offers, and nothing once the node moved on", async () => {
    const runId = await start({ a: [] });
    const repair = { nodeId: "a", reason: "message-lost", seen: "queued", mark: "1" };
    const repaired = await during(runId, () => sweeps.apply(runId, 500, 600, [repair]));
    expect(brief(repaired)).toEqual(["repair:a"]);
    expect(repaired[0]?.fields.reason).toBe("message-lost");
    // the offer time changed with the repair: the same stale request repairs nothing
    expect(await during(runId, () => sweeps.apply(runId, 501, 600, [repair]))).toEqual([]);
  });

  it("a reader resumes after any id with no gap and no repeat; an unknown run reads null", async () => {
    const runId = await start({ a: [], b: ["a"], c: ["a"] });
    await store.claimNode(runId, "a", "m1:0", 10);
    await store.completeNode(runId, "a", completion);
    const events = await all(runId);
    for (let cut = 0; cut < events.length; cut++) {
      const rest = await store.readEvents(runId, events[cut]?.id, 1000);
      expect(rest?.events.map((e) => e.id)).toEqual(events.slice(cut + 1).map((e) => e.id));
    }
    expect(nextStreamId("5-9")).toBe("5-10");
    expect(await store.readEvents("run_ffffffffffffffffffffffffff", undefined, 10)).toBeNull();
    const page = await store.readEvents(runId, undefined, 1);
    expect(page).toMatchObject({ status: "running", tenant: "t" });
  });
});
