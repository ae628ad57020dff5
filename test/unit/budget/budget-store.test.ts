import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteKeysWithPrefix } from "../../../local/redis-cleanup.js";
import { type LocalStack, startLocalStack } from "../../../local/stack.js";
import { type BudgetLimits, BudgetStore } from "../../../shared/budget/budget-store.js";
import { runScope, TENANT_DAY_TTL_SECONDS, tenantDayScope } from "../../../shared/budget/scopes.js";

/**
 * The budget scripts through the official @upstash/redis client and the local Upstash REST server, on a real Redis
 * and on the embedded in-memory store: holds never exceed a limit under concurrency, and every call is idempotent
 * on its reservation id.
 */
describe.each([
  { name: "real Redis", memory: false },
  { name: "in-memory", memory: true },
])("budget store on $name", ({ memory }) => {
  const prefix = `test-budget-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let redis: Redis;
  let store: BudgetStore;
  let seq = 0;
  const nextRun = () => runScope(`run_${(++seq).toString(16).padStart(8, "0")}`);

  beforeAll(async () => {
    stack = await startLocalStack({ memory, redisPort: 0, qstashPort: 0 });
    redis = new Redis({
      url: stack.redisRestUrl,
      token: stack.redisToken,
      automaticDeserialization: false,
      enableTelemetry: false,
    });
    store = new BudgetStore(redis, prefix);
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

  describe("reserve, settle, release", () => {
    const limits: BudgetLimits = { tokens: 10_000, usd: 1 };

    it("holds a request that fits and reports what is left", async () => {
      const scope = nextRun();
      const r = await store.reserve(scope, "a", 4000, 0.25, limits);
      expect(r).toEqual({
        ok: true,
        status: "reserved",
        held: { tokens: 4000, usd: 0.25 },
        left: { tokens: 6000, usd: 0.75 },
        limits,
      });
      expect(await store.usage(scope)).toMatchObject({
        usedTokens: 0,
        usedUsd: 0,
        reservedTokens: 4000,
        reservedUsd: 0.25,
        limitTokens: 10_000,
        limitUsd: 1,
        reservedMicroUsd: 250_000,
      });
    });

    it("refuses a request that does not fit under either limit, holding nothing", async () => {
      const scope = nextRun();
      await store.reserve(scope, "a", 4000, 0.7, limits);
      const byUsd = await store.reserve(scope, "b", 1000, 0.31, limits);
      expect(byUsd).toEqual({
        ok: false,
        status: "refused",
        requested: { tokens: 1000, usd: 0.31 },
        left: { tokens: 6000, usd: 0.3 },
        limits,
      });
      const byTokens = await store.reserve(scope, "c", 6001, 0.01, limits);
      expect(byTokens.status).toBe("refused");
      // exactly up to the limit fits
      expect((await store.reserve(scope, "d", 6000, 0.3, limits)).status).toBe("reserved");
      expect(await store.usage(scope)).toMatchObject({ reservedTokens: 10_000, reservedUsd: 1 });
    });

    it("applies only the limits given, and none at all when there are none", async () => {
      const scope = nextRun();
      expect((await store.reserve(scope, "a", 1e9, 0.5, { usd: 1 })).status).toBe("reserved");
      expect((await store.reserve(scope, "b", 1, 0.6, { usd: 1 })).status).toBe("refused");
      const open = nextRun();
      const r = await store.reserve(open, "a", 1e9, 1e5, {});
      expect(r).toMatchObject({ ok: true, left: { tokens: null, usd: null } });
      const u = await store.usage(open);
      expect(u.limitTokens).toBeUndefined();
      expect(u.limitUsd).toBeUndefined();
    });

    it("is idempotent on the reservation id: a retried reserve holds once", async () => {
      const scope = nextRun();
      expect((await store.reserve(scope, "a", 3000, 0.1, limits)).status).toBe("reserved");
      const again = await store.reserve(scope, "a", 5000, 0.5, limits);
      expect(again).toMatchObject({ ok: true, status: "existing", held: { tokens: 3000, usd: 0.1 } });
      expect(await store.usage(scope)).toMatchObject({ reservedTokens: 3000, reservedUsd: 0.1 });
    });

    it("settles the actual usage in place of the hold, once", async () => {
      const scope = nextRun();
      await store.reserve(scope, "a", 3000, 0.3, limits);
      const s = await store.settle(scope, "a", 1200, 0.05);
      expect(s).toEqual({
        status: "settled",
        held: { tokens: 3000, usd: 0.3 },
        actual: { tokens: 1200, usd: 0.05 },
        charged: { tokens: 1200, usd: 0.05 },
        overHold: { tokens: 0, usd: 0 },
        used: { tokens: 1200, usd: 0.05 },
        limits,
        overLimit: false,
      });
      const dup = await store.settle(scope, "a", 1200, 0.05);
      expect(dup).toMatchObject({
        status: "duplicate",
        actual: { tokens: 0, usd: 0 },
        used: { tokens: 1200, usd: 0.05 },
      });
      expect(await store.usage(scope)).toMatchObject({
        usedTokens: 1200,
        usedUsd: 0.05,
        reservedTokens: 0,
        reservedUsd: 0,
      });
      // a late reserve or release with a settled id changes nothing
      expect(await store.reserve(scope, "a", 10, 0.01, limits)).toMatchObject({
        ok: false,
        status: "closed",
        closedAs: "settled",
      });
      expect(await store.release(scope, "a")).toEqual({ status: "duplicate", held: { tokens: 0, usd: 0 } });
      expect(await store.usage(scope)).toMatchObject({ usedTokens: 1200, reservedTokens: 0 });
    });

    it("overspend: charges at most the hold, reporting the excess as overHold", async () => {
      const scope = nextRun();
      await store.reserve(scope, "a", 9000, 0.9, limits);
      const s = await store.settle(scope, "a", 11_000, 1.1);
      expect(s).toMatchObject({
        status: "settled",
        actual: { tokens: 11_000, usd: 1.1 },
        charged: { tokens: 9000, usd: 0.9 },
        overHold: { tokens: 2000 },
        used: { tokens: 9000, usd: 0.9 },
        overLimit: false,
      });
      expect(s.overHold.usd).toBeCloseTo(0.2, 9);
      expect(await store.usage(scope)).toMatchObject({ usedTokens: 9000, reservedTokens: 0 });
      // what is left still fits, and nothing beyond it
      expect((await store.reserve(scope, "b", 1000, 0.1, limits)).status).toBe("reserved");
      expect((await store.reserve(scope, "c", 1, 0, limits)).status).toBe("refused");
    });

    it("overspend: a settle where nothing is held charges nothing and writes nothing", async () => {
      const scope = nextRun();
      const s = await store.settle(scope, "never-reserved", 500, 0.02);
      expect(s).toMatchObject({
        status: "settled-unreserved",
        held: { tokens: 0, usd: 0 },
        charged: { tokens: 0, usd: 0 },
        used: { tokens: 0, usd: 0 },
      });
      expect((await store.reserve(scope, "never-reserved", 10, 0, limits)).status).toBe("reserved");
    });

    it("releases a failed call's hold once and closes the id", async () => {
      const scope = nextRun();
      await store.reserve(scope, "a", 3000, 0.3, limits);
      expect(await store.release(scope, "a")).toEqual({ status: "released", held: { tokens: 3000, usd: 0.3 } });
      expect(await store.release(scope, "a")).toEqual({ status: "duplicate", held: { tokens: 0, usd: 0 } });
      expect(await store.settle(scope, "a", 100, 0.01)).toMatchObject({ status: "duplicate" });
      expect(await store.reserve(scope, "a", 3000, 0.3, limits)).toMatchObject({
        status: "closed",
        closedAs: "released",
      });
      expect(await store.usage(scope)).toMatchObject({ usedTokens: 0, reservedTokens: 0, reservedUsd: 0 });
    });

    it("closes an id released before its reserve arrived (a delayed request cannot hold)", async () => {
      const scope = nextRun();
      expect((await store.release(scope, "late")).status).toBe("not-held");
      expect(await store.reserve(scope, "late", 10, 0, limits)).toMatchObject({ status: "closed" });
      expect((await store.usage(scope)).reservedTokens).toBe(0);
    });

    it("cancels a hold without closing the id, so it may reserve again", async () => {
      const scope = nextRun();
      await store.reserve(scope, "a", 3000, 0.3, limits);
      expect(await store.cancel(scope, "a")).toEqual({ status: "released", held: { tokens: 3000, usd: 0.3 } });
      expect((await store.reserve(scope, "a", 1000, 0.1, limits)).status).toBe("reserved");
      expect(await store.usage(scope)).toMatchObject({ reservedTokens: 1000, reservedUsd: 0.1 });
    });

    it("keeps USD exact in micro-dollars over many small settles", async () => {
      const scope = nextRun();
      for (let i = 0; i < 10; i++) {
        await store.reserve(scope, `c${i}`, 10, 0.1, {});
        await store.settle(scope, `c${i}`, 10, 0.1);
      }
      const u = await store.usage(scope);
      expect(u.usedMicroUsd).toBe(1_000_000);
      expect(u.usedUsd).toBe(1); // 0.1 added ten times as floats would give 0.9999999999999999
    });
  });

  describe("abandoned holds", () => {
    it("overspend: sweeps holds past their expiry by charging them whole; a late settle or release gives back the rest", async () => {
      const scope = nextRun();
      const limits = { tokens: 1000 };
      expect((await store.reserve(scope, "dead", 600, 0, limits, { nowMs: 0, holdMs: 1000 })).status).toBe("reserved");
      expect((await store.reserve(scope, "b", 500, 0, limits, { nowMs: 999 })).status).toBe("refused");
      // swept at 1000: its caller died, maybe after being billed, so its worst case moves to `used`
      expect((await store.reserve(scope, "b", 500, 0, limits, { nowMs: 1000 })).status).toBe("refused");
      expect(await store.usage(scope)).toMatchObject({ usedTokens: 600, reservedTokens: 0 });
      expect((await store.reserve(scope, "b", 400, 0, limits, { nowMs: 1000 })).status).toBe("reserved");
      // the swept id is closed: a late retry of its reserve cannot hold again
      expect(await store.reserve(scope, "dead", 600, 0, limits, { nowMs: 1001 })).toMatchObject({
        status: "closed",
        closedAs: "expired",
      });
      // its late settle replaces the worst case by the usage (at most the hold)
      expect(await store.settle(scope, "dead", 700, 0)).toMatchObject({
        status: "settled-late",
        charged: { tokens: 600 },
        used: { tokens: 600 },
        overLimit: false,
      });
      expect(await store.settle(scope, "dead", 100, 0)).toMatchObject({ status: "duplicate" });
      // another swept hold released late (its call was never billed): the charge is given back
      expect((await store.reserve(scope, "gone", 0, 0, limits, { nowMs: 1000, holdMs: 0 })).status).toBe("reserved");
      await store.settle(scope, "b", 300, 0);
      await store.reserve(scope, "x", 1000, 0, limits, { nowMs: 2000 });
      expect(await store.release(scope, "gone")).toMatchObject({ status: "released" });
      expect(await store.usage(scope)).toMatchObject({ usedTokens: 900, reservedTokens: 0 });
    });
  });

  describe("concurrency", () => {
    const ROUNDS = 30;
    const PER_CALL = { tokens: 1000, usd: 0.01 };
    const limits = { tokens: 5000, usd: 0.05 }; // fits exactly five calls

    it(`lets exactly five of 20 racing calls (each sent twice) hold a budget for five, ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const scope = nextRun();
        const ids = Array.from({ length: 20 }, (_, i) => `n${i}:1`);
        // every reservation is sent twice, concurrently (a retried request or a duplicate delivery); each round
        // starts the interleaved sequence n0 n0 n1 n1 … at a different place, so the winners differ
        const sends = ids.flatMap((id) => [id, id]);
        const order = [...sends.slice(round % sends.length), ...sends.slice(0, round % sends.length)];
        const results = await Promise.all(
          order.map((id) => store.reserve(scope, id, PER_CALL.tokens, PER_CALL.usd, limits).then((r) => ({ id, r }))),
        );
        const winners = [...new Set(results.filter((x) => x.r.ok).map((x) => x.id))];
        expect(winners).toHaveLength(5);
        expect(results.filter((x) => x.r.status === "reserved")).toHaveLength(5);
        expect(await store.usage(scope)).toMatchObject({ reservedTokens: 5000, reservedUsd: 0.05, usedTokens: 0 });

        // winners settle below their worst case (twice each), losers release (twice each)
        const losers = ids.filter((id) => !winners.includes(id));
        await Promise.all([
          ...[...winners, ...winners].map((id) => store.settle(scope, id, 800, 0.008)),
          ...[...losers, ...losers].map((id) => store.release(scope, id)),
        ]);
        const after = await store.usage(scope);
        expect(after).toMatchObject({ usedTokens: 4000, usedMicroUsd: 40_000, reservedTokens: 0, reservedMicroUsd: 0 });
        expect(after.usedTokens).toBeLessThanOrEqual(limits.tokens);

        // what the settles gave back fits exactly one more call
        const more = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.reserve(scope, `m${i}`, PER_CALL.tokens, PER_CALL.usd, limits)),
        );
        expect(more.filter((r) => r.ok)).toHaveLength(1);
      }
    }, 120_000);
  });

  describe("tenant days", () => {
    it("starts each UTC day from zero, with keys that expire after a few days", async () => {
      const tenant = `acme-${seq++}`;
      const limits = { tokens: 1000 };
      const lastMs = Date.parse("2025-03-01T23:59:59.999Z");
      const day1 = tenantDayScope(tenant, lastMs);
      const day2 = tenantDayScope(tenant, lastMs + 1);
      expect([day1.day, day2.day]).toEqual(["2025-03-01", "2025-03-02"]);
      expect((await store.reserve(day1, "a", 1000, 0, limits)).status).toBe("reserved");
      expect((await store.reserve(day1, "b", 1, 0, limits)).status).toBe("refused");
      expect((await store.reserve(day2, "b", 1000, 0, limits)).status).toBe("reserved");
      expect((await store.usage(day1)).reservedTokens).toBe(1000);
      expect((await store.usage(day2)).reservedTokens).toBe(1000);
      const keys = store.keys(day1);
      expect(keys.totals).toBe(`${prefix}:{tenant:${tenant}}:budget:2025-03-01`);
      for (const key of keys.all.slice(0, 2)) {
        const ttl = Number(await redis.ttl(key));
        expect(ttl).toBeGreaterThan(TENANT_DAY_TTL_SECONDS - 60);
        expect(ttl).toBeLessThanOrEqual(TENANT_DAY_TTL_SECONDS);
      }
    });
  });
});
