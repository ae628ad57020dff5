import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteKeysWithPrefix } from "../../../local/redis-cleanup.js";
import { type LocalStack, startLocalStack } from "../../../local/stack.js";
import { BudgetExceededError } from "../../../shared/budget/budget-error.js";
import { BudgetStore } from "../../../shared/budget/budget-store.js";
import { releaseHold, reserveScopes, type ScopedLimits, settleHold } from "../../../shared/budget/reserve-scopes.js";
import { reserveWithPolicy } from "../../../shared/budget/reserve-with-policy.js";
import { runScope, tenantDayScope } from "../../../shared/budget/scopes.js";
import type { Tier } from "../../../shared/routing/tier.js";

/**
 * A call held in two budgets at once (its run's and its tenant's day), which live in different Redis slots: holds
 * are taken scope by scope and compensated when one refuses. And the `onBudget` policy on top of it.
 */
describe.each([
  { name: "real Redis", memory: false },
  { name: "in-memory", memory: true },
])("multi-scope reservations on $name", ({ memory }) => {
  const prefix = `test-budget2-${Math.random().toString(36).slice(2, 10)}`;
  const NOW = Date.parse("2025-06-15T12:00:00Z");
  let stack: LocalStack;
  let store: BudgetStore;
  let seq = 0;
  const fresh = () => ++seq;

  beforeAll(async () => {
    stack = await startLocalStack({ memory, redisPort: 0, qstashPort: 0 });
    const redis = new Redis({
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

  function scopes(
    n: number,
    run: { tokens?: number; usd?: number },
    tenant: { tokens?: number; usd?: number },
    runId = `run_${n}`,
  ): ScopedLimits[] {
    return [
      { scope: runScope(runId), limits: run },
      { scope: tenantDayScope(`t${n}`, NOW), limits: tenant },
    ];
  }

  it("holds in both scopes, then settles and releases in both", async () => {
    const n = fresh();
    const s = scopes(n, { tokens: 10_000 }, { usd: 5 });
    const res = await reserveScopes(store, s, "a", { tokens: 3000, usd: 1 });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.hold).toEqual({
      reservationId: "a",
      scopes: s.map((x) => x.scope),
      held: [
        { tokens: 3000, usd: 1 },
        { tokens: 3000, usd: 1 },
      ],
    });
    const settled = await settleHold(store, res.hold, { tokens: 1000, usd: 0.25 });
    expect(settled.map((r) => r.status)).toEqual(["settled", "settled"]);
    for (const { scope } of s)
      expect(await store.usage(scope)).toMatchObject({ usedTokens: 1000, usedUsd: 0.25, reservedTokens: 0 });

    const b = await reserveScopes(store, s, "b", { tokens: 10, usd: 0.01 });
    if (!b.ok) throw new Error("expected b to fit");
    expect((await releaseHold(store, b.hold)).map((r) => r.status)).toEqual(["released", "released"]);
    for (const { scope } of s) expect((await store.usage(scope)).reservedTokens).toBe(0);
  });

  it("cancels the run's hold when the tenant refuses, and leaves the id free to reserve again", async () => {
    const n = fresh();
    const s = scopes(n, { tokens: 10_000 }, { usd: 0.5 });
    const res = await reserveScopes(store, s, "a", { tokens: 3000, usd: 1 });
    expect(res).toMatchObject({ ok: false, status: "refused", scope: s[1]!.scope, compensated: [s[0]!.scope] });
    expect(await store.usage(s[0]!.scope)).toMatchObject({ reservedTokens: 0, reservedUsd: 0 });
    expect(await store.usage(s[1]!.scope)).toMatchObject({ reservedTokens: 0, reservedUsd: 0 });
    // the same id fits at a lower amount (what a downgrade does)
    const again = await reserveScopes(store, s, "a", { tokens: 1000, usd: 0.4 });
    expect(again.ok).toBe(true);
  });

  it("does not touch the tenant when the run refuses", async () => {
    const n = fresh();
    const s = scopes(n, { tokens: 100 }, { usd: 5 });
    const res = await reserveScopes(store, s, "a", { tokens: 3000, usd: 1 });
    expect(res).toMatchObject({ ok: false, status: "refused", scope: s[0]!.scope, compensated: [] });
    expect((await store.usage(s[1]!.scope)).reservedUsd).toBe(0);
  });

  it("keeps a shared tenant budget exact when 20 runs race for it (room for five)", async () => {
    for (let round = 0; round < 10; round++) {
      const n = fresh();
      const racers = Array.from({ length: 20 }, (_, i) =>
        scopes(n, { tokens: 1_000_000 }, { tokens: 5000, usd: 0.05 }, `run_${n}_${i}`),
      );
      const results = await Promise.all(
        racers.map((s, i) => reserveScopes(store, s, `run_${n}_${i}:node:1`, { tokens: 1000, usd: 0.01 })),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(5);
      const tenant = racers[0]![1]!.scope;
      expect(await store.usage(tenant)).toMatchObject({ reservedTokens: 5000, reservedMicroUsd: 50_000 });
      // every refused run's own hold was cancelled
      const runs = await Promise.all(racers.map((s) => store.usage(s[0]!.scope)));
      expect(runs.filter((u) => u.reservedTokens === 1000)).toHaveLength(5);
      expect(runs.filter((u) => u.reservedTokens === 0)).toHaveLength(15);
    }
  }, 60_000);

  it("keeps a run budget exact when 20 of its nodes race (run fits five, tenant fits all)", async () => {
    for (let round = 0; round < 10; round++) {
      const n = fresh();
      const s = scopes(n, { tokens: 5000 }, { tokens: 1_000_000 });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => reserveScopes(store, s, `node${i}:1`, { tokens: 1000, usd: 0 })),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(5);
      expect((await store.usage(s[0]!.scope)).reservedTokens).toBe(5000);
      expect((await store.usage(s[1]!.scope)).reservedTokens).toBe(5000);
    }
  }, 60_000);

  describe("onBudget", () => {
    const models: Record<Tier, string> = { fast: "m-fast", balanced: "m-balanced", deep: "m-deep" };
    const priceOf: Record<string, number> = { "m-fast": 0.01, "m-balanced": 0.1, "m-deep": 1, "custom-x": 0.5 };
    const worstCase = (model: string) => ({ tokens: 2000, usd: priceOf[model] ?? 0 });
    const modelForTier = (t: Tier) => models[t];

    it('"downgrade" steps down until a tier fits, and records each step', async () => {
      const n = fresh();
      const s = scopes(n, { usd: 0.05 }, { usd: 10 });
      const res = await reserveWithPolicy({
        store,
        scopes: s,
        reservationId: "x",
        onBudget: "downgrade",
        start: { tier: "deep", model: "m-deep" },
        worstCase,
        modelForTier,
      });
      expect(res.ok).toBe(true);
      if (!res.ok) return;
      expect(res.chosen).toEqual({ tier: "fast", model: "m-fast" });
      expect(res.downgrades.map((d) => [d.from.tier, d.to.tier])).toEqual([
        ["deep", "balanced"],
        ["balanced", "fast"],
      ]);
      expect(res.note).toBe("budget: downgraded deep -> balanced -> fast (run budget)");
      expect(await store.usage(s[0]!.scope)).toMatchObject({ reservedUsd: 0.01 });
      expect(await store.usage(s[1]!.scope)).toMatchObject({ reservedUsd: 0.01 });
    });

    it('"fail" refuses with a budget error naming the budget and what was left', async () => {
      const n = fresh();
      const s = scopes(n, { usd: 5 }, { usd: 0.5 });
      const res = await reserveWithPolicy({
        store,
        scopes: s,
        reservationId: "x",
        onBudget: "fail",
        start: { tier: "deep", model: "m-deep" },
        worstCase,
        modelForTier,
      });
      expect(res.ok).toBe(false);
      if (res.ok || res.status !== "refused") throw new Error("expected a refusal");
      expect(res.error).toBeInstanceOf(BudgetExceededError);
      expect(res.error.message).toBe(
        `tenant t${n}'s budget for 2025-06-15 exceeded: the call needs up to $1.00, $0.50 left of $0.50`,
      );
      expect(res.tried).toEqual([{ tier: "deep", model: "m-deep" }]);
      expect((await store.usage(s[0]!.scope)).reservedUsd).toBe(0);
    });

    it('"downgrade" fails when even fast does not fit, and cannot downgrade a model outside the tier map', async () => {
      const n = fresh();
      const s = scopes(n, { usd: 0.001 }, {});
      const res = await reserveWithPolicy({
        store,
        scopes: s,
        reservationId: "x",
        onBudget: "downgrade",
        start: { tier: "balanced", model: "m-balanced" },
        worstCase,
        modelForTier,
      });
      expect(res).toMatchObject({ ok: false, status: "refused", tried: [{ tier: "balanced" }, { tier: "fast" }] });
      const custom = await reserveWithPolicy({
        store,
        scopes: s,
        reservationId: "y",
        onBudget: "downgrade",
        start: { tier: null, model: "custom-x" },
        worstCase,
        modelForTier,
      });
      expect(custom).toMatchObject({
        ok: false,
        status: "refused",
        tried: [{ tier: null, model: "custom-x" }],
        downgrades: [],
      });
    });

    it("reports a finished call's id as closed instead of holding again", async () => {
      const n = fresh();
      const s = scopes(n, { usd: 5 }, { usd: 5 });
      const first = await reserveWithPolicy({
        store,
        scopes: s,
        reservationId: "x",
        onBudget: "fail",
        start: { tier: "fast", model: "m-fast" },
        worstCase,
        modelForTier,
      });
      if (!first.ok) throw new Error("expected a hold");
      await settleHold(store, first.hold, { tokens: 100, usd: 0.001 });
      const again = await reserveWithPolicy({
        store,
        scopes: s,
        reservationId: "x",
        onBudget: "fail",
        start: { tier: "fast", model: "m-fast" },
        worstCase,
        modelForTier,
      });
      expect(again).toEqual({ ok: false, status: "closed", closedAs: "settled" });
    });
  });
});
