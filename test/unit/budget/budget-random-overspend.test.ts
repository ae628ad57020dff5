import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrng, type Prng } from "../../../local/chaos/prng.js";
import { deleteKeysWithPrefix } from "../../../local/redis-cleanup.js";
import { type LocalStack, startLocalStack } from "../../../local/stack.js";
import { BudgetStore } from "../../../shared/budget/budget-store.js";
import { inputTokenBound } from "../../../shared/budget/input-bound.js";
import {
  type BudgetHold,
  reserveScopes,
  type ScopedLimits,
  settleHold,
} from "../../../shared/budget/reserve-scopes.js";
import { type BudgetScope, runScope, tenantDayScope } from "../../../shared/budget/scopes.js";
import { usdToMicroUsd } from "../../../shared/budget/units.js";
import { worstCase } from "../../../shared/budget/worst-case.js";
import { closeHold, recoveryScopes } from "../../../shared/engine/recover-holds.js";
import { costUsd } from "../../../shared/pricing/cost.js";
import { DEFAULT_PRICES } from "../../../shared/pricing/prices.js";
import type { PaidUsage } from "../../../shared/state/run-store.js";

/**
 * Randomized budget races on the real Redis: concurrent simulated attempts share run budgets and one tenant-day
 * budget; each attempt is refused, or calls and settles, or is killed between its call and its settle (then closed
 * by the recovery the engine uses, recover-holds.ts `closeHold`, from an exact paid record or the worst case booked
 * from its intent), or is killed before calling (released by the recovery), or uses its whole cap, or (rarely) gets a
 * provider that ignores maxOutputTokens. Seeded, so reproducible; not timed.
 */
const SEED = Number(process.env.BUDGET_RACE_SEED ?? 20261207);
const RESERVATIONS = 5000;
const WORKERS = 24;
const RUNS = 100;
const TENANTS = 10;
const MODEL = "claude-sonnet-4-6"; // cache writes 1.25 x input: the dearest input rate must be held
const NOW = Date.UTC(2026, 11, 7, 12);

const TEXTS = [
  "Summarise the incident report for the on-call engineer.",
  "東京の天気予報を三行で要約してください。重要な警報があれば最初に書いてください。",
  "fn f(x:&[u8])->u64{x.iter().fold(0,|a,&b|a.wrapping_mul(31)^b as u64)}//{}[]<>;;",
  "QmFzZTY0IGRhdGEgaXMgZGVuc2U6IGV2ZXJ5IGNoYXJhY3RlciBjb3VudHMu==",
  "😀🚀 emoji-heavy release notes ✅✅✅ ünïcödé",
];

const price = (u: Parameters<typeof costUsd>[1]) => costUsd(MODEL, u, DEFAULT_PRICES);

/** A real provider's usage for a call whose input bound is `bound` and output limit `maxOut`: within both. */
function usageWithin(rng: Prng, bound: number, maxOut: number, full: boolean) {
  const input = full ? bound : rng.int(1, bound);
  const write = full ? input : rng.int(0, input);
  const read = full ? 0 : rng.int(0, input - write);
  return {
    inputTokens: input - write - read,
    cacheWriteTokens: write,
    cacheReadTokens: read,
    outputTokens: full ? maxOut : rng.int(0, maxOut),
  };
}

describe("budget races (real Redis)", () => {
  const prefix = `test-budget-race-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let store: BudgetStore;

  beforeAll(async () => {
    stack = await startLocalStack({ memory: false, redisPort: 0, qstashPort: 0 });
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
  }, 60_000);

  it(`overspend: used never passes a limit over ${RESERVATIONS} reservations with random kills (seed ${SEED})`, async () => {
    expect(stack.backend).toBe("redis");
    const root = createPrng(SEED);
    const rng = root.fork("scheduler");
    const tenants: ScopedLimits[] = Array.from({ length: TENANTS }, (_, i) => ({
      scope: tenantDayScope(`race${SEED}t${i}`, NOW),
      limits: { tokens: 1_500_000, usd: 5 },
    }));
    const runs: ScopedLimits[] = Array.from({ length: RUNS }, (_, i) => ({
      scope: runScope(`race${SEED}r${i}`),
      limits: { tokens: 200_000, usd: 0.6 },
    }));
    const all = [...runs, ...tenants];
    const key = (s: BudgetScope) => store.keys(s).totals;
    const limitOf = new Map(all.map((s) => [key(s.scope), s.limits]));
    const counts = {
      reservations: 0,
      reserved: 0,
      refused: 0,
      settled: 0,
      killedAfterCall: 0,
      killedAfterCallUnrecorded: 0,
      killedBeforeCall: 0,
      fullCap: 0,
      ignoredCap: 0,
      recoveryRepeats: 0,
    };
    let maxRatio = 0;
    let overruns = 0;
    const pending: { scopes: BudgetScope[]; job: () => Promise<void> }[] = [];

    /** Reads the scopes' usage and checks used <= limit (tokens and USD) and reserved >= 0. */
    const check = async (scopes: readonly BudgetScope[]) => {
      for (const s of scopes) {
        const u = await store.usage(s);
        const lim = limitOf.get(key(s));
        if (!lim) continue;
        const ratios = [
          u.usedTokens / (lim.tokens ?? Infinity),
          u.usedMicroUsd / usdToMicroUsd(lim.usd ?? Infinity, "down"),
        ];
        for (const r of ratios) {
          maxRatio = Math.max(maxRatio, r);
          if (r > 1) overruns++;
        }
        expect(u.reservedTokens).toBeGreaterThanOrEqual(0);
        expect(u.reservedMicroUsd).toBeGreaterThanOrEqual(0);
      }
    };

    const attempt = async (n: number) => {
      // each attempt's choices come from its own stream, so the set of attempts is the same on every run of the
      // seed (which of them a budget refuses still depends on how the concurrent requests interleave)
      const rng = root.fork(`attempt ${n}`);
      const r = rng.int(0, RUNS - 1);
      const run = runs[r] as ScopedLimits;
      const tenantScope = tenants[r % TENANTS] as ScopedLimits;
      const tenant = tenantScope.scope.kind === "tenant-day" ? tenantScope.scope.tenant : "";
      const scopes = [run, tenantScope];
      const id = `${run.scope.kind === "run" ? run.scope.runId : ""}:node${n % 7}:${n}`;
      const messages = Array.from({ length: rng.int(1, 3) }, () => rng.pick(TEXTS).repeat(rng.int(1, 25)));
      const bound = inputTokenBound(messages);
      const maxOut = rng.int(16, 4096);
      const amount = worstCase(bound, maxOut, price);
      counts.reservations++;
      const res = await reserveScopes(store, scopes, id, amount, { nowMs: NOW });
      if (!res.ok) {
        counts.refused++;
        await check(scopes.map((s) => s.scope));
        return;
      }
      counts.reserved++;
      const hold: BudgetHold = res.hold;
      const recovery = recoveryScopes(hold.reservationId.split(":")[0] as string, tenant, NOW);
      const roll = rng.next();
      if (roll < 0.2) {
        // killed before calling: no intent, no paid record; the recovery releases the hold (maybe twice)
        counts.killedBeforeCall++;
        const repeats = rng.int(1, 2);
        counts.recoveryRepeats += repeats - 1;
        for (let i = 0; i < repeats; i++)
          pending.push({ scopes: hold.scopes, job: () => closeHold(store, recovery, id, undefined) });
        return;
      }
      const full = roll < 0.3;
      const ignores = roll >= 0.3 && roll < 0.33;
      if (full) counts.fullCap++;
      const u = usageWithin(rng, bound, maxOut, full);
      if (ignores) {
        // a provider that ignores maxOutputTokens: more than the hold
        counts.ignoredCap++;
        u.outputTokens = maxOut * 3;
      }
      const usd = price(u);
      const tokens = u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
      if (!ignores) {
        expect(tokens).toBeLessThanOrEqual(amount.tokens);
        expect(usd).toBeLessThanOrEqual(amount.usd);
      }
      if (roll < 0.6) {
        counts.settled++;
        await settleHold(store, hold, { tokens, usd });
        // a duplicate recovery racing the settle changes nothing
        if (rng.chance(0.2))
          pending.push({ scopes: hold.scopes, job: () => closeHold(store, recovery, id, undefined) });
        await check(hold.scopes);
        return;
      }
      // killed between the call and the settle: the paid record landed, or only the intent (booked at worst case)
      counts.killedAfterCall++;
      const recorded = rng.chance(0.5);
      if (!recorded) counts.killedAfterCallUnrecorded++;
      const paid: PaidUsage = recorded
        ? { ...u, costMicroUsd: usdToMicroUsd(usd, "nearest") }
        : {
            inputTokens: bound,
            outputTokens: maxOut,
            cacheReadTokens: 0,
            cacheWriteTokens: 0,
            costMicroUsd: usdToMicroUsd(amount.usd, "up"),
          };
      const repeats = rng.int(1, 2);
      counts.recoveryRepeats += repeats - 1;
      for (let i = 0; i < repeats; i++)
        pending.push({ scopes: hold.scopes, job: () => closeHold(store, recovery, id, paid) });
    };

    let next = 0;
    const worker = async () => {
      while (next < RESERVATIONS) {
        const n = next++;
        await attempt(n);
        // recoveries run later, interleaved with new reservations, in random order
        if (pending.length > 0 && rng.chance(0.5)) {
          const i = rng.int(0, pending.length - 1);
          const [p] = pending.splice(i, 1);
          if (p) {
            await p.job();
            await check(p.scopes);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    while (pending.length > 0) await pending.pop()?.job();
    await check(all.map((s) => s.scope));

    const usages = await Promise.all(all.map((s) => store.usage(s.scope)));
    for (const u of usages) {
      expect(u.reservedTokens).toBe(0);
      expect(u.reservedMicroUsd).toBe(0);
    }
    console.log(
      `budget races (seed ${SEED}): ${JSON.stringify(counts)}; max used/limit ${maxRatio.toFixed(4)}; overruns ${overruns}; ` +
        `tenant 0 used ${usages[RUNS]?.usedTokens} tokens / ${tenants[0]?.limits.tokens}, ` +
        `$${usages[RUNS]?.usedUsd} / $${tenants[0]?.limits.usd}`,
    );
    expect(counts.reservations).toBeGreaterThanOrEqual(RESERVATIONS);
    expect(counts.refused).toBeGreaterThan(0);
    expect(counts.killedAfterCall).toBeGreaterThan(0);
    expect(overruns).toBe(0);
    expect(maxRatio).toBeLessThanOrEqual(1);
  }, 600_000);
});
