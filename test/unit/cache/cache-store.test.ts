import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deleteKeysWithPrefix } from "../../../local/redis-cleanup.js";
import { type LocalStack, startLocalStack } from "../../../local/stack.js";
import { CacheStore, holderIdOf } from "../../../shared/cache/cache-store.js";
import { type CacheEntry, savingOf } from "../../../shared/cache/entry.js";
import type { InvalidationSelector } from "../../../shared/cache/generations.js";
import { GenerationsFullError } from "../../../shared/cache/generations-full-error.js";
import { type CacheKeyInput, computeCacheKey } from "../../../shared/cache/key-material.js";

/**
 * The cache store through the official @upstash/redis client and the local Upstash REST server, on a real Redis
 * and on the embedded in-memory store.
 */
describe.each([
  { name: "real Redis", memory: false },
  { name: "in-memory", memory: true },
])("cache store on $name", ({ memory }) => {
  const prefix = `test-cache-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let redis: Redis;
  let store: CacheStore;
  let seq = 0;
  /** A fresh tenant per test, so counters and generations start at zero. */
  const nextTenant = () => `t${(++seq).toString(36)}`;
  const hash = (n: number) => n.toString(16).padStart(64, "0");

  const entry = (over: Partial<CacheEntry> = {}): CacheEntry => ({
    outputRef: "e".repeat(64),
    model: "sim-balanced",
    usage: { inputTokens: 100, outputTokens: 50, cacheReadTokens: 10, cacheWriteTokens: 0 },
    costMicroUsd: 1500,
    createdAt: 1_760_000_000_000,
    producedBy: { runId: "run_a", nodeId: "n1" },
    ...over,
  });

  beforeAll(async () => {
    stack = await startLocalStack({ memory, redisPort: 0, qstashPort: 0 });
    redis = new Redis({
      url: stack.redisRestUrl,
      token: stack.redisToken,
      automaticDeserialization: false,
      enableTelemetry: false,
    });
    store = new CacheStore(redis, prefix);
  });
  afterAll(async () => {
    await stack?.close();
    if (stack?.backend === "redis")
      await deleteKeysWithPrefix(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", prefix);
  });

  it("uses the requested backend", () => {
    // The tests expect a real Redis at REDIS_URL (default 127.0.0.1:6379); the stack falls back to memory without one.
    expect(stack.backend).toBe(memory ? "memory" : "redis");
  });

  describe("entries", () => {
    it("stores an entry under the tenant's hash tag and reads it back", async () => {
      const t = nextTenant();
      expect(await store.get(t, hash(1))).toBeNull();
      await store.put(t, hash(1), entry(), 60);
      expect(await store.get(t, hash(1))).toEqual(entry());
      expect(await redis.exists(`${prefix}:{cache:${t}}:e:${hash(1)}`)).toBe(1);
    });

    it("gives the entry the TTL asked for", async () => {
      const t = nextTenant();
      await store.put(t, hash(1), entry(), 3600);
      const ttl = await redis.ttl(`${prefix}:{cache:${t}}:e:${hash(1)}`);
      expect(ttl).toBeGreaterThan(3500);
      expect(ttl).toBeLessThanOrEqual(3600);
    });

    it("keeps tenants apart: the same key under two tenants holds two independent entries", async () => {
      const [a, b] = [nextTenant(), nextTenant()];
      await store.put(a, hash(7), entry({ model: "model-a" }), 60);
      expect(await store.get(b, hash(7))).toBeNull();
      await store.put(b, hash(7), entry({ model: "model-b" }), 60);
      expect((await store.get(a, hash(7)))?.model).toBe("model-a");
      expect((await store.get(b, hash(7)))?.model).toBe("model-b");
      expect(await store.evict(a, hash(7))).toBe(true);
      expect((await store.get(b, hash(7)))?.model).toBe("model-b");
    });

    it("treats a malformed stored entry as absent and replaces it on lookup", async () => {
      const t = nextTenant();
      await redis.set(`${prefix}:{cache:${t}}:e:${hash(2)}`, "{not json");
      expect(await store.get(t, hash(2))).toBeNull();
      expect(await store.lookupOrLock(t, hash(2), "h1", 10_000)).toEqual({ kind: "acquired", renewed: false });
      expect(await redis.exists(`${prefix}:{cache:${t}}:e:${hash(2)}`)).toBe(0);
    });

    it("rejects keys that are not cache keys and tenants that would break the hash tag", async () => {
      await expect(store.get("t", "abc")).rejects.toThrow(RangeError);
      await expect(store.get("a{b", hash(1))).rejects.toThrow(RangeError);
      await expect(store.put("t", hash(1), entry(), 0)).rejects.toThrow(RangeError);
    });
  });

  describe("in-flight lock", () => {
    it("lets exactly one of 20 concurrent callers take the lock; the others are told who holds it", async () => {
      const t = nextTenant();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.acquire(t, hash(3), `h${i}`, 60_000)),
      );
      const winners = results.flatMap((r, i) => (r.acquired ? [`h${i}`] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (!r.acquired) {
          expect(r.holder).toBe(winners[0]);
          expect(r.retryAfterMs).toBe(2000); // lock has ~60 s left: capped at 2 s
        }
      }
    });

    it("lets exactly one of 20 concurrent lookups make the call", async () => {
      const t = nextTenant();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.lookupOrLock(t, hash(4), `h${i}`, 60_000)),
      );
      expect(results.filter((r) => r.kind === "acquired")).toHaveLength(1);
      expect(results.filter((r) => r.kind === "wait")).toHaveLength(19);
    });

    it("lets the holder take its lock again (a redelivery), renewing it", async () => {
      const t = nextTenant();
      expect(await store.acquire(t, hash(5), "h1", 60_000)).toEqual({ acquired: true, renewed: false });
      expect(await store.acquire(t, hash(5), "h1", 60_000)).toEqual({ acquired: true, renewed: true });
    });

    it("ignores a release by a non-holder; the holder's release frees the lock", async () => {
      const t = nextTenant();
      await store.acquire(t, hash(6), "holder", 60_000);
      expect(await store.release(t, hash(6), "intruder")).toBe(false);
      expect(await store.acquire(t, hash(6), "other", 60_000)).toMatchObject({ acquired: false, holder: "holder" });
      expect(await store.release(t, hash(6), "holder")).toBe(true);
      expect(await store.release(t, hash(6), "holder")).toBe(false);
      expect(await store.acquire(t, hash(6), "other", 60_000)).toEqual({ acquired: true, renewed: false });
    });

    it("asks a refused caller to wait at least 200 ms and at most until the lock expires", async () => {
      const t = nextTenant();
      await store.acquire(t, hash(8), "holder", 1000);
      const r = await store.acquire(t, hash(8), "other", 1000);
      expect(r.acquired).toBe(false);
      if (!r.acquired) {
        expect(r.retryAfterMs).toBeGreaterThanOrEqual(200);
        expect(r.retryAfterMs).toBeLessThanOrEqual(1000);
      }
    });

    it("expires a lock that outlives its holder", async () => {
      const t = nextTenant();
      expect((await store.acquire(t, hash(9), "crashed", 50)).acquired).toBe(true);
      const refused = await store.acquire(t, hash(9), "survivor", 50);
      expect(refused).toMatchObject({ acquired: false, holder: "crashed", retryAfterMs: 200 });
      // Condition loop: the lock's PX (50 ms) runs on the Redis clock; wait until it has let go.
      await vi.waitFor(async () => expect((await store.acquire(t, hash(9), "survivor", 60_000)).acquired).toBe(true), {
        timeout: 5000,
        interval: 20,
      });
      expect(await store.acquire(t, hash(9), "crashed", 60_000)).toMatchObject({ acquired: false, holder: "survivor" });
    });

    it("releases the holder's lock with its put, and only the holder's", async () => {
      const t = nextTenant();
      await store.acquire(t, hash(10), "holder", 60_000);
      expect(await store.put(t, hash(10), entry(), 60, "not-the-holder")).toEqual({ released: false });
      expect(await store.acquire(t, hash(10), "x", 60_000)).toMatchObject({ acquired: false });
      expect(await store.put(t, hash(10), entry(), 60, "holder")).toEqual({ released: true });
      expect(await store.acquire(t, hash(10), "x", 60_000)).toEqual({ acquired: true, renewed: false });
    });
  });

  describe("hit, shared and miss", () => {
    it("serves an existing entry as a hit, without taking the lock", async () => {
      const t = nextTenant();
      await store.put(t, hash(11), entry(), 60);
      expect(await store.lookupOrLock(t, hash(11), "r1:n1", 60_000)).toEqual({
        kind: "hit",
        entry: entry(),
        outcome: "hit",
      });
      expect(await store.acquire(t, hash(11), "r2:n1", 60_000)).toEqual({ acquired: true, renewed: false });
    });

    it("counts a waiter's later hit as shared, once, and the producer's own call as a miss", async () => {
      const t = nextTenant();
      const [producer, waiter, late] = [holderIdOf("run_1", "a"), holderIdOf("run_2", "a"), holderIdOf("run_3", "a")];
      expect(await store.lookupOrLock(t, hash(12), producer, 60_000)).toEqual({ kind: "acquired", renewed: false });
      expect(await store.lookupOrLock(t, hash(12), waiter, 60_000)).toMatchObject({ kind: "wait", holder: producer });
      await store.put(t, hash(12), entry(), 60, producer);
      expect(await store.lookupOrLock(t, hash(12), waiter, 60_000)).toMatchObject({ kind: "hit", outcome: "shared" });
      // a later look by the same holder (e.g. a duplicate delivery) is a plain hit: the mark was used up
      expect(await store.lookupOrLock(t, hash(12), waiter, 60_000)).toMatchObject({ kind: "hit", outcome: "hit" });
      expect(await store.lookupOrLock(t, hash(12), late, 60_000)).toMatchObject({ kind: "hit", outcome: "hit" });
    });

    it("counts a waiter that took over an abandoned lock as making its own call", async () => {
      const t = nextTenant();
      await store.lookupOrLock(t, hash(13), "crashed", 50);
      expect(await store.lookupOrLock(t, hash(13), "waiter", 60_000)).toMatchObject({ kind: "wait" });
      await vi.waitFor(
        async () => expect((await store.lookupOrLock(t, hash(13), "waiter", 60_000)).kind).toBe("acquired"),
        {
          timeout: 5000,
          interval: 20,
        },
      );
      await store.put(t, hash(13), entry(), 60, "waiter");
      // its own entry: no waiter mark left
      expect(await store.lookupOrLock(t, hash(13), "waiter", 60_000)).toMatchObject({ kind: "hit", outcome: "hit" });
    });
  });

  describe("invalidation", () => {
    const call = (tenant: string, generations: Record<string, number>): CacheKeyInput => ({
      tenant,
      agent: { name: "reviewer", system: "Review.", provider: "simulated" },
      model: "sim-balanced",
      params: { maxOutputTokens: 256 },
      prompt: "Review the diff",
      inputs: {},
      generations,
    });
    const nodes = [
      { workflow: "wf-a", node: "x", tags: ["t1"] },
      { workflow: "wf-a", node: "y", tags: [] },
      { workflow: "wf-b", node: "x", tags: ["t1"] },
      { workflow: "wf-b", node: "z", tags: ["t2"] },
    ];
    const keysOf = (t: string) =>
      Promise.all(
        nodes.map(async (n) =>
          computeCacheKey(call(t, { ...(await store.readGenerations(t, n.workflow, n.node, n.tags)) })),
        ),
      );

    it("reads 0 for every field nobody invalidated", async () => {
      const t = nextTenant();
      expect(await store.readGenerations(t, "wf-a", "x", ["t2", "t1"])).toEqual({
        "*": 0,
        "wf:wf-a": 0,
        "node:wf-a:x": 0,
        "tag:t1": 0,
        "tag:t2": 0,
      });
    });

    it.each<[string, InvalidationSelector, string, string[]]>([
      ["workflow", { workflow: "wf-a" }, "wf:wf-a", ["wf-a/x", "wf-a/y"]],
      ["node", { workflow: "wf-b", node: "x" }, "node:wf-b:x", ["wf-b/x"]],
      ["tag", { tag: "t1" }, "tag:t1", ["wf-a/x", "wf-b/x"]],
      ["everything", { all: true }, "*", ["wf-a/x", "wf-a/y", "wf-b/x", "wf-b/z"]],
    ])(
      "by %s bumps one field and changes the keys of exactly the selected nodes",
      async (_name, selector, field, changed) => {
        const t = nextTenant();
        const before = await keysOf(t);
        expect(await store.invalidate(t, selector)).toEqual({ field, generation: 1 });
        const after = await keysOf(t);
        expect(nodes.filter((_, i) => before[i] !== after[i]).map((n) => `${n.workflow}/${n.node}`)).toEqual(changed);
        // a second bump moves the selected keys again
        expect(await store.invalidate(t, selector)).toEqual({ field, generation: 2 });
        const again = await keysOf(t);
        expect(nodes.filter((_, i) => after[i] !== again[i]).map((n) => `${n.workflow}/${n.node}`)).toEqual(changed);
      },
    );

    it("makes an entry unreachable for the invalidated node while an untouched node still hits it", async () => {
      const t = nextTenant();
      const key = await computeCacheKey(call(t, { ...(await store.readGenerations(t, "wf-a", "x")) }));
      await store.put(t, key, entry(), 60);
      await store.invalidate(t, { workflow: "wf-a" });
      const newKey = await computeCacheKey(call(t, { ...(await store.readGenerations(t, "wf-a", "x")) }));
      expect(await store.get(t, newKey)).toBeNull();
      const otherKey = await computeCacheKey(call(t, { ...(await store.readGenerations(t, "wf-b", "x")) }));
      expect(otherKey).toBe(key);
      expect(await store.get(t, otherKey)).toEqual(entry());
    });

    it("DoS: invalidating ever new random nodes stops growing the hash at its limit; `all` and known selectors still bump", async () => {
      const capped = new CacheStore(redis, prefix, { maxGenerationFields: 3 });
      const t = nextTenant();
      for (const n of ["r1", "r2", "r3"]) await capped.invalidate(t, { workflow: "wf-a", node: n });
      const refused = await capped.invalidate(t, { workflow: "wf-a", node: "r4" }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(GenerationsFullError);
      expect(refused).toMatchObject({ field: "node:wf-a:r4", fields: 3 });
      // nothing changed: the refused field was not added, and no field went down
      expect(await redis.hlen(store.keys(t).gen)).toBe(3);
      expect((await capped.readGenerations(t, "wf-a", "r4"))["node:wf-a:r4"]).toBe(0);
      expect(await capped.invalidate(t, { workflow: "wf-a", node: "r2" })).toEqual({
        field: "node:wf-a:r2",
        generation: 2,
      });
      expect(await capped.invalidate(t, { all: true })).toEqual({ field: "*", generation: 1 });
      expect(await capped.invalidate(t, { all: true })).toEqual({ field: "*", generation: 2 });
      await expect(capped.invalidate(t, { tag: "new-tag" })).rejects.toBeInstanceOf(GenerationsFullError);
    });

    it("leaves other tenants' generations alone", async () => {
      const [a, b] = [nextTenant(), nextTenant()];
      await store.invalidate(a, { all: true });
      expect((await store.readGenerations(a, "wf-a", "x"))["*"]).toBe(1);
      expect((await store.readGenerations(b, "wf-a", "x"))["*"]).toBe(0);
    });
  });

  describe("stats", () => {
    it("adds outcomes and savings per tenant and per workflow", async () => {
      const t = nextTenant();
      const saved = savingOf(entry()); // 160 tokens, 1500 µUSD
      await store.record(t, { workflow: "review-all", outcome: "miss" });
      await store.record(t, { workflow: "review-all", outcome: "hit", saving: saved });
      await store.record(t, { workflow: "review-all", outcome: "hit", saving: saved });
      await store.record(t, { workflow: "review-all", outcome: "shared", saving: saved });
      await store.record(t, { workflow: "nightly", outcome: "miss" });
      await store.record(t, { workflow: "nightly", outcome: "hit", saving: { tokens: 40, microUsd: 250_000 } });

      const s = await store.stats(t);
      expect(s).toMatchObject({
        hits: 3,
        shared: 1,
        misses: 2,
        lookups: 6,
        savedTokens: 520,
        savedMicroUsd: 254_500,
        savedUsd: 0.2545,
      });
      expect(s.hitRate).toBeCloseTo(4 / 6, 12);
      expect(s.byWorkflow["review-all"]).toEqual({
        hits: 2,
        misses: 1,
        shared: 1,
        lookups: 4,
        hitRate: 0.75,
        savedTokens: 480,
        savedMicroUsd: 4500,
        savedUsd: 0.0045,
      });
      expect(await store.stats(t, "nightly")).toMatchObject({
        hits: 1,
        misses: 1,
        shared: 0,
        hitRate: 0.5,
        savedTokens: 40,
        byWorkflow: { nightly: { hits: 1 } },
      });
    });

    it("reports zeros and no hit rate for a tenant without outcomes, and keeps tenants apart", async () => {
      const [a, b] = [nextTenant(), nextTenant()];
      await store.record(a, { workflow: "wf", outcome: "miss" });
      expect(await store.stats(b)).toEqual({
        hits: 0,
        misses: 0,
        shared: 0,
        lookups: 0,
        hitRate: null,
        savedTokens: 0,
        savedMicroUsd: 0,
        savedUsd: 0,
        byWorkflow: {},
      });
    });

    it("refuses a hit without its saving, a miss with one, and a workflow name with a colon", async () => {
      const t = nextTenant();
      await expect(store.record(t, { workflow: "wf", outcome: "hit" })).rejects.toThrow(RangeError);
      await expect(
        store.record(t, { workflow: "wf", outcome: "miss", saving: { tokens: 1, microUsd: 1 } }),
      ).rejects.toThrow(RangeError);
      await expect(store.record(t, { workflow: "a:b", outcome: "miss" })).rejects.toThrow(RangeError);
      expect((await store.stats(t)).lookups).toBe(0);
    });
  });
});
