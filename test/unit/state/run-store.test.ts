import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { BlobStore } from "../../../shared/blobs/blob-store.js";
import { compileDag } from "../../../shared/dag/compile.js";
import type { WorkflowNode } from "../../../shared/schema/workflow.js";
import { prefetchMessages } from "../../../shared/state/prefetch.js";
import { RunStore } from "../../../shared/state/run-store.js";
import type { FrozenRun } from "../../../shared/state/run-types.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";
import { readWorkload } from "../../support/workloads.js";

/**
 * The run transitions (Lua) through the official @upstash/redis client and the local Upstash REST server, on both of
 * its backends (a real Redis and the embedded in-memory store): idempotent under duplicates, and exact under
 * concurrent callbacks. The same scripts must behave identically on both.
 */
describe.each(STORE_BACKENDS)("run store on $name", ({ memory }) => {
  const prefix = `test-state-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let store: RunStore;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    const redis = storeRedis(stack);
    store = new RunStore(redis, prefix);
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  it("uses the requested backend", () => {
    // The tests expect a real Redis at REDIS_URL (default 127.0.0.1:6379); the stack falls back to memory without one.
    expect(stack.backend).toBe(memory ? "memory" : "redis");
  });

  let seq = 0;
  async function start(
    deps: Record<string, string[]>,
    opts: {
      concurrency?: number;
      mode?: "eager" | "levels" | "sequential";
      weights?: Record<string, number>;
      nodesPerDelivery?: number;
    } = {},
  ) {
    const runId = `run_${(++seq).toString(16).padStart(26, "0")}`;
    const nodes = Object.entries(deps).map(
      ([id, dependsOn]) => ({ id, agent: "a", prompt: "p", dependsOn, kind: "llm" }) as WorkflowNode,
    );
    const dag = compileDag(
      nodes.map((n) => ({ id: n.id, dependsOn: n.dependsOn, weightMs: opts.weights?.[n.id] ?? 1 })),
    );
    const frozen: FrozenRun = {
      runId,
      tenant: "t",
      // one node per delivery unless a test asks for chains: the take() tests below count the message kept ahead
      workflow: {
        name: "w",
        concurrency: opts.concurrency ?? 1000,
        mode: opts.mode ?? "eager",
        nodesPerDelivery: opts.nodesPerDelivery ?? 1,
        cache: true,
        cacheTtl: "1h",
        defaults: { retries: 3, timeout: "120s" },
        agents: { a: {} },
        nodes,
      },
      inputRef: "0".repeat(64),
      simulate: null,
      budget: null,
      baseUrl: "http://w",
      trigger: "api",
      createdAt: 0,
    };
    const res = await store.startRun({
      frozen,
      dag,
      fingerprint: "fp",
      now: 1,
      retentionSeconds: 60,
      activeTtlSeconds: 600,
      nodesPerDelivery: opts.nodesPerDelivery ?? 1,
    });
    return { runId, dag, res };
  }

  const redisOf = (s: LocalStack) =>
    new Redis({ url: s.redisRestUrl, token: s.redisToken, automaticDeserialization: false, enableTelemetry: false });

  const done = (ref = "r") => ({
    outputRef: ref,
    inputTokens: 1,
    outputTokens: 2,
    model: "m",
    excerpt: "e",
    startedAt: 1,
    finishedAt: 2,
  });

  /** Claims as a delivery past the holder's deadline does (take-node.ts): a `held` answer is taken over. */
  async function takeOver(runId: string, nodeId: string, lease: string, now: number, upstream: string[] = []) {
    const first = await store.claimNode(runId, nodeId, lease, now, upstream);
    if (first.claimed !== "held") return first;
    return store.claimNode(runId, nodeId, lease, now, upstream, undefined, first.lease);
  }

  describe("start_run", () => {
    it("creates the run, queues the roots, and is idempotent", async () => {
      const { runId, res, dag } = await start({ a: [], b: [], c: ["a", "b"] });
      expect(res.created).toBe(true);
      expect(res.created && [...res.roots].sort()).toEqual(["a", "b"]);
      const again = await store.startRun({
        frozen: (await store.readFrozen(runId)) as FrozenRun,
        dag,
        fingerprint: "other",
        now: 5,
        retentionSeconds: 60,
        activeTtlSeconds: 600,
        nodesPerDelivery: 1,
      });
      expect(again).toEqual({ created: false, status: "running", fingerprint: "fp" });
      const snap = await store.readSnapshot(runId);
      expect(snap?.status).toEqual({ a: "queued", b: "queued", c: "pending" });
      expect(snap?.meta.nodeCount).toBe("3");
    });
  });

  describe("claim_node", () => {
    it("lets one delivery hold a node: another attempt finds it held (never taken) until it takes it over", async () => {
      const { runId } = await start({ a: [] });
      expect(await store.claimNode(runId, "a", "m1:0", 10)).toEqual({ claimed: true, attempt: 1, refs: {} });
      const held = { claimed: "held", nodeId: "a", lease: "m1:0", startedAt: 10 };
      // the same delivery sent twice, and QStash's retry while the first attempt's outcome is unknown
      expect(await store.claimNode(runId, "a", "m1:0", 11)).toEqual(held);
      expect(await store.claimNode(runId, "a", "m1:1", 12)).toEqual(held);
      // past the holder's deadline the retry takes over, from that holder only
      expect(await store.claimNode(runId, "a", "m1:1", 12, [], undefined, "other:0")).toEqual(held);
      expect(await store.claimNode(runId, "a", "m1:1", 12, [], undefined, "m1:0")).toEqual({
        claimed: true,
        attempt: 2,
        refs: {},
      });
      expect(await store.claimNode(runId, "a", "m1:0", 13, [], undefined, "m1:0")).toEqual({
        claimed: false,
        reason: "superseded",
        stillQueued: [],
      });
      await store.completeNode(runId, "a", done());
      expect(await store.claimNode(runId, "a", "m1:2", 13)).toEqual({
        claimed: false,
        reason: "run-completed",
        stillQueued: [],
      });
    });

    it("returns the output refs of the upstream nodes asked for, in the same script", async () => {
      const { runId } = await start({ a: [], b: ["a"] });
      await store.claimNode(runId, "a", "x:0", 1);
      await store.completeNode(runId, "a", done("ref-a"));
      expect(await store.claimNode(runId, "b", "y:0", 2, ["a", "ghost"])).toEqual({
        claimed: true,
        attempt: 1,
        refs: { a: "ref-a" },
      });
    });

    it("re-offers, to a delivery of a node already done, the dependents its completion took that are still queued", async () => {
      const { runId } = await start({ a: [], b: ["a"], c: ["a"] });
      await store.claimNode(runId, "a", "x:0", 1);
      await store.completeNode(runId, "a", done("ra"));
      // the delivery that completed a died before publishing b and c: QStash's retry of a lands on a done node
      const retry = await store.claimNode(runId, "a", "x:1", 2);
      expect(retry).toMatchObject({ claimed: false, reason: "done" });
      expect(retry.claimed ? [] : [...retry.stillQueued].sort()).toEqual(["b", "c"]);
      // once b runs, only c is still offered
      await store.claimNode(runId, "b", "y:0", 3);
      expect(await store.claimNode(runId, "a", "x:2", 4)).toEqual({
        claimed: false,
        reason: "done",
        stillQueued: ["c"],
      });
    });

    it("a node its holder gave up (retrying) is claimed at once, by the same delivery's copy too", async () => {
      const { runId } = await start({ a: [] });
      await store.claimNode(runId, "a", "m:0", 1);
      expect(await store.claimNode(runId, "a", "m:0", 2)).toMatchObject({ claimed: "held" });
      expect(await store.retryNode(runId, "a", "HTTP 500", "m:0")).toBe(true);
      expect(await store.claimNode(runId, "a", "m:0", 3)).toEqual({ claimed: true, attempt: 2, refs: {} });
    });

    it("refuses a node whose dependencies are not done", async () => {
      const { runId } = await start({ a: [], b: ["a"] });
      expect(await store.claimNode(runId, "b", "m:0", 1)).toEqual({
        claimed: false,
        reason: "pending",
        stillQueued: [],
      });
    });
  });

  describe("complete_node", () => {
    it("releases a join exactly once when its two dependencies complete concurrently, even with duplicates", async () => {
      for (let round = 0; round < 20; round++) {
        const { runId } = await start({ a: [], b: [], c: ["a", "b"] });
        await Promise.all([store.claimNode(runId, "a", "x:0", 1), store.claimNode(runId, "b", "y:0", 1)]);
        const results = await Promise.all([
          store.completeNode(runId, "a", done("ra")),
          store.completeNode(runId, "b", done("rb")),
          store.completeNode(runId, "a", done("ra")),
          store.completeNode(runId, "b", done("rb")),
        ]);
        expect(results.filter((r) => r.applied)).toHaveLength(2);
        expect(results.filter((r) => r.applied).flatMap((r) => r.dispatch)).toEqual(["c"]);
        // a duplicate may only re-offer what was taken and is still queued: c, never anything else
        expect(
          results
            .filter((r) => !r.applied)
            .flatMap((r) => r.dispatch)
            .every((id) => id === "c"),
        ).toBe(true);
      }
    });

    it("re-offers a released but undispatched dependent on a duplicate callback", async () => {
      const { runId } = await start({ a: [], b: ["a"] });
      await store.claimNode(runId, "a", "x:0", 1);
      expect((await store.completeNode(runId, "a", done())).dispatch).toEqual(["b"]);
      // the first callback died before publishing b; QStash retries the callback
      expect(await store.completeNode(runId, "a", done())).toMatchObject({ applied: false, dispatch: ["b"] });
      // once b runs, a duplicate re-offers nothing
      await store.claimNode(runId, "b", "y:0", 2);
      expect(await store.completeNode(runId, "a", done())).toMatchObject({ applied: false, dispatch: [] });
    });

    it("writes the output blob first and records the completion in the same request; a repeat leaves both as they were", async () => {
      const { runId } = await start({ a: [], b: ["a"], c: [] });
      const blobs = new BlobStore(redisOf(stack), prefix, 60);
      // c completes plainly first, so the script is loaded and the request count below is the steady state
      await store.claimNode(runId, "c", "z:0", 1);
      await store.completeNode(runId, "c", done("rc"));
      await store.claimNode(runId, "a", "x:0", 1);
      const text = `output of a ${runId}`;
      const blob = await blobs.prepare(text);
      expect(await blobs.getMany([blob.ref])).toEqual([null]);
      const before = stack.stats().redisRequests;
      const t = await store.completeNode(runId, "a", done(blob.ref), { first: (p) => blob.queueWrites(p) });
      expect(stack.stats().redisRequests - before).toBe(1);
      expect(t).toEqual({ applied: true, runStatus: "running", dispatch: ["b"], skipped: [], chained: null });
      expect(await blobs.getMany([blob.ref])).toEqual([text]);
      expect((await store.claimNode(runId, "b", "y:0", 2, ["a"])).claimed && true).toBe(true);
      // a repeat (QStash retried the request) writes nothing new and re-offers nothing: b is running
      expect(await store.completeNode(runId, "a", done(blob.ref), { first: (p) => blob.queueWrites(p) })).toMatchObject(
        { applied: false, dispatch: [] },
      );
      expect((await store.readSnapshot(runId))?.output).toMatchObject({ a: blob.ref });
    });

    it("offer_again reads what a finished node's completion took and is still queued, changing nothing", async () => {
      const { runId } = await start({ a: [], b: ["a"], c: ["a"] });
      await store.claimNode(runId, "a", "x:0", 1);
      expect(await store.offerAgain(runId, "a")).toEqual({ runStatus: "running", nodeStatus: "running", dispatch: [] });
      await store.completeNode(runId, "a", done("ra"));
      const before = await store.readSnapshot(runId);
      expect((await store.offerAgain(runId, "a")).dispatch.sort()).toEqual(["b", "c"]);
      expect(await store.readSnapshot(runId)).toEqual(before);
      await store.claimNode(runId, "b", "y:0", 2);
      expect(await store.offerAgain(runId, "a")).toEqual({ runStatus: "running", nodeStatus: "done", dispatch: ["c"] });
      expect(await store.offerAgain("run_ffffffffffffffffffffffffff", "a")).toEqual({
        runStatus: "missing",
        nodeStatus: "unknown",
        dispatch: [],
      });
      // a failed node offers what its failure's freed slot took: with one slot, q waits until p fails
      const f = await start({ p: [], q: [], r: [] }, { concurrency: 1 });
      const first = f.res.created ? (f.res.roots as string[]) : [];
      expect(first).toHaveLength(2);
      const [p, q] = first as [string, string];
      await store.claimNode(f.runId, p, "p:0", 1);
      const failed = await store.failNode(f.runId, p, "boom", 2);
      expect(failed.dispatch).toHaveLength(1);
      expect(await store.offerAgain(f.runId, p)).toEqual({
        runStatus: "running",
        nodeStatus: "failed",
        dispatch: failed.dispatch,
      });
      await store.claimNode(f.runId, q, "q:0", 3);
      expect((await store.offerAgain(f.runId, p)).dispatch).toEqual(failed.dispatch.filter((id) => id !== q));
    });

    it("finishes the run and sets every key to expire after the retention", async () => {
      const { runId } = await start({ a: [] });
      await store.claimNode(runId, "a", "x:0", 1);
      expect(await store.completeNode(runId, "a", done())).toMatchObject({ applied: true, runStatus: "completed" });
      const snap = await store.readSnapshot(runId);
      expect(snap?.meta).toMatchObject({ status: "completed", doneCount: "1", inputTokens: "1", outputTokens: "2" });
      // started with retentionSeconds 60 and activeTtlSeconds 600: every key that exists now expires within 60 s
      const r = redisOf(stack);
      const existing = [];
      for (const key of store.keys(runId).all) if ((await r.exists(key)) === 1) existing.push(key);
      expect(existing.length).toBeGreaterThan(10);
      for (const key of existing) {
        const ttl = Number(await r.ttl(key));
        expect(ttl, key).toBeGreaterThan(0);
        expect(ttl, key).toBeLessThanOrEqual(60);
      }
    });

    it("runs a real 212-node DAG with shuffled, concurrent, duplicated completions: every node released once", {
      timeout: 30_000,
    }, async () => {
      const tasks = readWorkload("airrflow-dirt02-001");
      const deps = Object.fromEntries(tasks.map((t) => [t.id, [...new Set(t.deps)]]));
      const { runId, res } = await start(deps);
      if (!res.created) throw new Error("not created");
      const released: string[] = [...res.roots];
      let ready = [...res.roots];
      let finalStatus = "running";
      while (ready.length > 0) {
        const batch = ready.sort(() => Math.random() - 0.5);
        ready = [];
        await Promise.all(batch.map((id) => store.claimNode(runId, id, `${id}:0`, 1)));
        const results = await Promise.all(
          batch.flatMap((id) => [store.completeNode(runId, id, done()), store.completeNode(runId, id, done())]),
        );
        for (const r of results) {
          if (r.applied) {
            ready.push(...r.dispatch);
            released.push(...r.dispatch);
          }
          if (r.runStatus !== "running") finalStatus = r.runStatus;
        }
      }
      expect(released.length).toBe(tasks.length);
      expect(new Set(released).size).toBe(tasks.length);
      expect(finalStatus).toBe("completed");
    });
  });

  describe("scheduling", () => {
    it("takes the run's slots plus one prefetched message, longest remaining path first, and refills a freed slot", async () => {
      expect(prefetchMessages(2)).toBe(1);
      const { runId, res } = await start(
        { long1: [], long2: ["long1"], mid: [], short: [], tiny: [] },
        { concurrency: 2, weights: { long1: 10, long2: 10, mid: 5, short: 2, tiny: 1 } },
      );
      // two run, the third waits in QStash's flow control; tiny stays in the ready set
      expect(res.created && res.roots).toEqual(["long1", "mid", "short"]);
      await store.claimNode(runId, "long1", "l:0", 1);
      // long1 frees a slot and releases long2 (remaining 10), which outranks tiny (1)
      expect((await store.completeNode(runId, "long1", done())).dispatch).toEqual(["long2"]);
      await store.claimNode(runId, "mid", "m:0", 1);
      expect((await store.completeNode(runId, "mid", done())).dispatch).toEqual(["tiny"]);
      const snap = await store.readSnapshot(runId);
      expect(snap?.meta.inflight).toBe("3");
      expect(snap?.status).toMatchObject({ long2: "queued", short: "queued", tiny: "queued" });
    });

    it("sequential has one slot: one node runs, one more is published for QStash to hold", async () => {
      const { runId, res } = await start({ a: [], b: [], c: [] }, { mode: "sequential", concurrency: 10 });
      expect(res.created && res.roots).toHaveLength(1 + prefetchMessages(1));
      const first = res.created ? (res.roots[0] as string) : "";
      await store.claimNode(runId, first, "x:0", 1);
      expect((await store.completeNode(runId, first, done())).dispatch).toHaveLength(1);
      expect((await store.readSnapshot(runId))?.meta.inflight).toBe(String(1 + prefetchMessages(1)));
    });

    it("with 16 slots, keeps two messages published ahead; a run started before `prefetch` was stored keeps one", async () => {
      const roots = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`n${String(i).padStart(2, "0")}`, []]));
      const { runId, res } = await start(roots, { concurrency: 16 });
      expect(res.created && res.roots).toHaveLength(16 + 2);
      expect((await store.readSnapshot(runId))?.meta).toMatchObject({
        concurrency: "16",
        prefetch: "2",
        inflight: "18",
      });
      // the same run as an older version stored it: no prefetch field, so one message ahead
      const old = await start(roots, { concurrency: 16 });
      const r = redisOf(stack);
      await r.hdel(store.keys(old.runId).meta, "prefetch");
      const first = old.res.created ? (old.res.roots[0] as string) : "";
      await store.claimNode(old.runId, first, "x:0", 1);
      // 18 in flight before: the completion frees one, and 16 + 1 - 17 = 0 more may be taken
      expect((await store.completeNode(old.runId, first, done())).dispatch).toEqual([]);
    });

    it("levels mode holds a released node until its whole previous level is done", async () => {
      const { runId, res } = await start(
        { slow: [], fast: [], afterFast: ["fast"], afterSlow: ["slow"] },
        { mode: "levels" },
      );
      expect(res.created && [...res.roots].sort()).toEqual(["fast", "slow"]);
      await store.claimNode(runId, "fast", "f:0", 1);
      await store.claimNode(runId, "slow", "s:0", 1);
      expect((await store.completeNode(runId, "fast", done())).dispatch).toEqual([]);
      expect((await store.completeNode(runId, "slow", done())).dispatch.sort()).toEqual(["afterFast", "afterSlow"]);
    });

    it("eager mode releases a node as soon as its own dependencies are done", async () => {
      const { runId } = await start({ slow: [], fast: [], afterFast: ["fast"], afterSlow: ["slow"] });
      await store.claimNode(runId, "fast", "f:0", 1);
      expect((await store.completeNode(runId, "fast", done())).dispatch).toEqual(["afterFast"]);
    });

    it("a failure frees its slot for the next ready node; a duplicate failure callback re-offers it", async () => {
      const { runId, res } = await start({ a: [], b: [], c: [] }, { concurrency: 1 });
      const first = res.created ? (res.roots[0] as string) : "";
      await store.claimNode(runId, first, "x:0", 1);
      const t = await store.failNode(runId, first, "boom", 2);
      expect(t.dispatch).toHaveLength(1);
      expect(t.skipped).toEqual([]);
      // the first failure callback died before publishing: its retry offers the same node again
      expect(await store.failNode(runId, first, "boom", 3)).toMatchObject({
        applied: false,
        dispatch: t.dispatch,
        skipped: [],
      });
    });

    it("keys created after the start expire with the run", async () => {
      const { runId } = await start({ a: [], b: ["a"] });
      await store.claimNode(runId, "a", "x:0", 1);
      const r = redisOf(stack);
      const ttl = Number(await r.pttl(store.keys(runId).lease));
      const metaTtl = Number(await r.pttl(store.keys(runId).meta));
      // the run's active TTL (600 s), as the keys made at the start have it
      expect(ttl).toBeGreaterThan(590_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
      expect(Math.abs(ttl - metaTtl)).toBeLessThan(5_000);
    });
  });

  describe("paid calls (record_paid)", () => {
    const paid = (n: number) => ({
      inputTokens: n,
      outputTokens: 2 * n,
      cacheReadTokens: 0,
      cacheWriteTokens: 1,
      costMicroUsd: 10 * n,
    });
    const usageOf = async (runId: string) => {
      const snap = await store.readSnapshot(runId);
      return { usage: snap?.usage, cost: snap?.cost, meta: snap?.meta };
    };

    it("records each attempt's call once, right away, and the completion of that attempt adds nothing", async () => {
      const { runId } = await start({ a: [] });
      await store.claimNode(runId, "a", "m:0", 1);
      expect(await store.recordPaid(runId, "a", 1, paid(5))).toBe(true);
      expect(await store.recordPaid(runId, "a", 1, paid(5))).toBe(false); // a repeat
      const completion = { ...done(), inputTokens: 5, outputTokens: 10, cacheWriteTokens: 1, costMicroUsd: 50 };
      await store.completeNode(runId, "a", { ...completion, paidAttempt: 1 });
      const { usage, cost, meta } = await usageOf(runId);
      expect([usage?.a, cost?.a]).toEqual(["5,10,0,1", "50"]);
      expect(meta).toMatchObject({ inputTokens: "5", outputTokens: "10", cacheWriteTokens: "1", costMicroUsd: "50" });
      expect(await store.readPaid(runId, "a", [1, 2])).toEqual(new Map([[1, paid(5)]]));
    });

    it("a retry that completes from its own earlier call's cache entry shows that call's usage, counted once", async () => {
      const { runId } = await start({ a: [] });
      await store.claimNode(runId, "a", "m:0", 1);
      await store.recordPaid(runId, "a", 1, paid(5)); // the call was paid; its answer was lost
      expect(await store.retryNode(runId, "a", "HTTP 503", "m:0")).toBe(true);
      expect(await store.claimNode(runId, "a", "m:1", 2)).toMatchObject({ claimed: true, attempt: 2 });
      // the retry hits the entry attempt 1 wrote: the same call, named by its attempt
      const hit = { ...done(), inputTokens: 5, outputTokens: 10, cacheWriteTokens: 1, costMicroUsd: 50 };
      await store.completeNode(runId, "a", {
        ...hit,
        paidAttempt: 1,
        cache: { outcome: "hit", savedTokens: 0, savedMicroUsd: 0 },
      });
      const { usage, meta } = await usageOf(runId);
      expect(usage?.a).toBe("5,10,0,1");
      expect(meta).toMatchObject({ inputTokens: "5", outputTokens: "10", costMicroUsd: "50", savedTokens: "0" });
    });

    it("two paid attempts of a node both count; a late completion's call is recorded although it changes nothing", async () => {
      const { runId } = await start({ a: [] });
      await store.claimNode(runId, "a", "m:0", 1);
      await takeOver(runId, "a", "m:1", 2); // the first attempt's delivery died after its call was answered
      await store.recordPaid(runId, "a", 2, paid(3));
      await store.completeNode(runId, "a", { ...done(), inputTokens: 3, outputTokens: 6, paidAttempt: 2 });
      // the first attempt was only slow: its completion comes late, after its call
      const late = await store.completeNode(runId, "a", { ...done(), inputTokens: 4, outputTokens: 8, paidAttempt: 1 });
      expect(late.applied).toBe(false);
      const { usage, meta } = await usageOf(runId);
      expect(usage?.a).toBe("7,14,0,1");
      expect(meta).toMatchObject({ inputTokens: "7", outputTokens: "14" });
    });

    it("a node completed by another node's cache entry has usage 0", async () => {
      const { runId } = await start({ a: [] });
      await store.claimNode(runId, "a", "m:0", 1);
      await store.completeNode(runId, "a", {
        ...done(),
        inputTokens: 0,
        outputTokens: 0,
        cache: { outcome: "hit", savedTokens: 9, savedMicroUsd: 3 },
      });
      const { usage, cost, meta } = await usageOf(runId);
      expect([usage?.a, cost?.a, meta?.inputTokens ?? "0"]).toEqual(["0,0,0,0", "0", "0"]);
    });
  });

  describe("retry_node and fail_node", () => {
    it("marks retrying only for the delivery that holds the node", async () => {
      const { runId } = await start({ a: [] });
      await store.claimNode(runId, "a", "m:0", 1);
      await takeOver(runId, "a", "m:1", 2); // the retry already took over
      expect(await store.retryNode(runId, "a", "HTTP 500", "m:0")).toBe(false);
      expect(await store.retryNode(runId, "a", "HTTP 500", "m:1")).toBe(true);
      expect((await store.readSnapshot(runId))?.status.a).toBe("retrying");
    });

    it("fails a node once, skips its descendants, lets independent branches finish, then fails the run", async () => {
      const { runId } = await start({ a: [], b: ["a"], c: ["b"], d: [] });
      await store.claimNode(runId, "a", "a:0", 1);
      await store.claimNode(runId, "d", "d:0", 1);
      const [first, dup] = await Promise.all([
        store.failNode(runId, "a", "boom", 5),
        store.failNode(runId, "a", "boom", 5),
      ]);
      const applied = [first, dup].filter((r) => r.applied);
      expect(applied).toHaveLength(1);
      expect(applied[0]?.skipped.sort()).toEqual(["b", "c"]);
      expect(applied[0]?.runStatus).toBe("running"); // d still runs
      expect(await store.completeNode(runId, "d", done())).toMatchObject({ applied: true, runStatus: "failed" });
      const snap = await store.readSnapshot(runId);
      expect(snap?.status).toEqual({ a: "failed", b: "skipped", c: "skipped", d: "done" });
      expect(snap?.error.a).toBe("boom");
      expect(snap?.meta).toMatchObject({ failedCount: "1", skippedCount: "2", doneCount: "1", status: "failed" });
    });

    it("with a lease, fails the node only while that delivery holds it", async () => {
      const { runId } = await start({ a: [], b: ["a"] });
      await store.claimNode(runId, "a", "m:0", 1);
      await takeOver(runId, "a", "m:1", 2); // QStash's retry took over; the first delivery is stale
      expect(await store.failNode(runId, "a", "stale verdict", 3, "m:0")).toMatchObject({
        applied: false,
        skipped: [],
      });
      expect((await store.readSnapshot(runId))?.status).toEqual({ a: "running", b: "pending" });
      expect(await store.failNode(runId, "a", "its own verdict", 4, "m:1")).toMatchObject({
        applied: true,
        skipped: ["b"],
      });
    });

    it("a failure callback for a node already done re-offers the dependents still queued and changes nothing", async () => {
      const { runId } = await start({ a: [], b: ["a"], c: ["a"] });
      await store.claimNode(runId, "a", "m:0", 1);
      await store.completeNode(runId, "a", done("ra"));
      // the last attempt completed a, then its publish failed and QStash gave up on the message
      const t = await store.failNode(runId, "a", "HTTP 500", 5);
      expect(t).toMatchObject({ applied: false, runStatus: "running", skipped: [] });
      expect([...t.dispatch].sort()).toEqual(["b", "c"]);
      expect((await store.readSnapshot(runId))?.status).toEqual({ a: "done", b: "queued", c: "queued" });
    });
  });

  describe("chains (a delivery runs the next node itself)", () => {
    // a releases b (remaining path 10) and c (1): the chain goes on with b, c is published
    const fork = () => start({ a: [], b: ["a"], c: ["a"], d: ["b"] }, { weights: { a: 1, b: 10, c: 1, d: 1 } });

    it("complete_node with the delivery's lease hands it the highest-priority node taken, running under that lease", async () => {
      const { runId } = await fork();
      await store.claimNode(runId, "a", "m:0", 1);
      const t = await store.completeNode(runId, "a", done("ra"), { chainLease: "m:0" });
      expect(t).toEqual({
        applied: true,
        runStatus: "running",
        dispatch: ["c"],
        skipped: [],
        chained: { nodeId: "b", attempt: 1 },
      });
      const snap = await store.readSnapshot(runId);
      expect(snap?.status).toMatchObject({ a: "done", b: "running", c: "queued" });
      expect(snap?.started["b"]).toBe("2");
      expect(snap?.meta.inflight).toBe("2");
      // the chained node then completes like any other; a repeat of a's completion never chains again
      expect(await store.completeNode(runId, "a", done("ra"), { chainLease: "m:0" })).toMatchObject({
        applied: false,
        chained: null,
        dispatch: ["c"],
      });
      expect(await store.completeNode(runId, "b", done("rb"), { chainLease: "m:0" })).toMatchObject({
        applied: true,
        chained: { nodeId: "d", attempt: 1 },
        dispatch: [],
      });
    });

    it("does not chain once a newer delivery of the message has taken the node over", async () => {
      const { runId } = await fork();
      await store.claimNode(runId, "a", "m:0", 1);
      await takeOver(runId, "a", "m:1", 2); // QStash's retry took over
      const t = await store.completeNode(runId, "a", done("ra"), { chainLease: "m:0" });
      expect(t).toMatchObject({ applied: true, chained: null });
      expect(t.dispatch.sort()).toEqual(["b", "c"]);
    });

    it("a retried delivery of the message resumes the chain where the dead one left it", async () => {
      const { runId } = await fork();
      await store.claimNode(runId, "a", "m:0", 1);
      await store.completeNode(runId, "a", done("ra"), { chainLease: "m:0" }); // b chained; c never published
      // QStash retries the message: a is done, b still runs under the dead delivery's lease, held until its deadline
      expect(await store.claimNode(runId, "a", "m:1", 4, ["x"])).toEqual({
        claimed: "held",
        nodeId: "b",
        lease: "m:0",
        startedAt: 2,
      });
      const resumed = await takeOver(runId, "a", "m:1", 5, ["x"]);
      expect(resumed).toEqual({ claimed: "resumed", nodeId: "b", attempt: 2, stillQueued: ["c"] });
      const snap = await store.readSnapshot(runId);
      expect([snap?.status["b"], snap?.started["b"]]).toEqual(["running", "5"]);
      // the same delivery sent twice runs it once: the copy finds it held
      expect(await store.claimNode(runId, "a", "m:1", 6)).toEqual({
        claimed: "held",
        nodeId: "b",
        lease: "m:1",
        startedAt: 5,
      });
      // another message's delivery of a follows no chain of its own
      expect(await store.claimNode(runId, "a", "other:0", 6)).toEqual({
        claimed: false,
        reason: "done",
        stillQueued: ["c"],
      });
    });

    it("resuming walks through the finished links, collecting what each took that is still queued", async () => {
      const { runId } = await start(
        { a: [], b: ["a"], c: ["a"], d: ["b"], e: ["b"] },
        { weights: { a: 1, b: 10, c: 1, d: 5, e: 1 } },
      );
      await store.claimNode(runId, "a", "m:0", 1);
      await store.completeNode(runId, "a", done("ra"), { chainLease: "m:0" });
      expect(await store.completeNode(runId, "b", done("rb"), { chainLease: "m:0" })).toMatchObject({
        chained: { nodeId: "d" },
        dispatch: ["e"],
      });
      const resumed = await takeOver(runId, "a", "m:1", 5);
      expect(resumed.claimed === "resumed" && [resumed.nodeId, [...resumed.stillQueued].sort()]).toEqual([
        "d",
        ["c", "e"],
      ]);
      // offer_again follows the same chain for the callback, changing nothing
      const before = await store.readSnapshot(runId);
      expect((await store.offerAgain(runId, "a", "m")).dispatch.sort()).toEqual(["c", "e"]);
      expect((await store.offerAgain(runId, "a")).dispatch).toEqual(["c"]);
      expect(await store.readSnapshot(runId)).toEqual(before);
    });

    it("a late older attempt of the message does not take a link over from a newer one", async () => {
      const { runId } = await fork();
      await store.claimNode(runId, "a", "m:0", 1);
      await store.completeNode(runId, "a", done("ra"), { chainLease: "m:0" });
      expect(await takeOver(runId, "a", "m:2", 5)).toMatchObject({ claimed: "resumed", nodeId: "b" });
      // m:1 arrives late (a timed-out attempt QStash already gave up on): b stays with m:2
      expect(await takeOver(runId, "a", "m:1", 6)).toEqual({
        claimed: false,
        reason: "superseded",
        stillQueued: [],
      });
      expect((await store.readSnapshot(runId))?.attempts["b"]).toBe("2");
    });

    it("a late older attempt of a message does not take its own node back from a newer attempt", async () => {
      const { runId } = await fork();
      await store.claimNode(runId, "a", "m:0", 1);
      expect(await takeOver(runId, "a", "m:1", 2)).toMatchObject({ claimed: true, attempt: 2 });
      expect(await takeOver(runId, "a", "m:0", 3)).toEqual({
        claimed: false,
        reason: "superseded",
        stillQueued: [],
      });
      // another message's delivery waits for the holder too, and takes over past its deadline
      expect(await store.claimNode(runId, "a", "n:0", 4)).toMatchObject({ claimed: "held", lease: "m:1" });
      expect(await takeOver(runId, "a", "n:0", 4)).toMatchObject({ claimed: true, attempt: 3 });
    });

    it("a chain link its delivery gave up (retrying, lease kept) is resumed by the message's retry at once", async () => {
      const { runId } = await fork();
      await store.claimNode(runId, "a", "m:0", 1);
      await store.completeNode(runId, "a", done("ra"), { chainLease: "m:0" }); // b chained
      expect(await store.retryNode(runId, "b", "delivery failed", "m:0")).toBe(true);
      expect(await store.claimNode(runId, "a", "m:1", 5)).toEqual({
        claimed: "resumed",
        nodeId: "b",
        attempt: 2,
        stillQueued: ["c"],
      });
    });

    it("a chained node handed back (retry_node with release) loses the chain's lease: no delivery of the message resumes it", async () => {
      const { runId } = await fork();
      await store.claimNode(runId, "a", "m:0", 1);
      await store.completeNode(runId, "a", done("ra"), { chainLease: "m:0" });
      expect(await store.retryNode(runId, "b", "boom", "m:0", true)).toBe(true);
      expect(await store.claimNode(runId, "a", "m:1", 5)).toEqual({
        claimed: false,
        reason: "done",
        stillQueued: ["c"],
      });
      // b's own message claims it as usual
      expect(await store.claimNode(runId, "b", "own:0", 6)).toMatchObject({ claimed: true, attempt: 2 });
    });

    it("when the message's retries run out, fail_node releases the chain's unfinished node to a message of its own", async () => {
      const { runId } = await fork();
      await store.claimNode(runId, "a", "m:0", 1);
      await store.completeNode(runId, "a", done("ra"), { chainLease: "m:0" });
      // the failure callback for m (a is done): without the message id only a's still-queued nodes come back
      expect((await store.failNode(runId, "a", "HTTP 500", 5)).dispatch).toEqual(["c"]);
      expect((await store.readSnapshot(runId))?.status["b"]).toBe("running");
      const t = await store.failNode(runId, "a", "HTTP 500", 5, undefined, "m");
      expect(t).toMatchObject({ applied: false, runStatus: "running", skipped: [] });
      expect([...t.dispatch].sort()).toEqual(["b", "c"]);
      const snap = await store.readSnapshot(runId);
      expect([snap?.status["a"], snap?.status["b"], snap?.meta.inflight]).toEqual(["done", "queued", "2"]);
      // released: no longer part of the chain, and its own message claims it
      expect(await store.claimNode(runId, "a", "m:3", 6)).toEqual({
        claimed: false,
        reason: "done",
        stillQueued: ["b", "c"],
      });
      expect(await store.claimNode(runId, "b", "own:0", 7)).toMatchObject({ claimed: true, attempt: 2 });
    });

    it("a run whose deliveries chain keeps no message ahead: it takes only as many nodes as it has slots", async () => {
      const { runId, res } = await start({ a: [], b: [], c: [] }, { concurrency: 2, nodesPerDelivery: 8 });
      expect(res.created && res.roots).toHaveLength(2);
      const snap = await store.readSnapshot(runId);
      expect([snap?.meta.prefetch, snap?.meta.inflight]).toEqual(["0", "2"]);
    });

    it("readRefs reads the output refs of the nodes asked for, in one request", async () => {
      const { runId } = await fork();
      await store.claimNode(runId, "a", "m:0", 1);
      await store.completeNode(runId, "a", done("ref-a"));
      const before = stack.stats().redisRequests;
      expect(await store.readRefs(runId, ["a", "b"])).toEqual({ a: "ref-a" });
      expect(stack.stats().redisRequests - before).toBe(1);
    });
  });
});
