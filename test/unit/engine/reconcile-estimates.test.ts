import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { BudgetStore } from "../../../shared/budget/budget-store.js";
import { runScope } from "../../../shared/budget/scopes.js";
import { compileDag } from "../../../shared/dag/compile.js";
import type { Engine } from "../../../shared/engine/engine.js";
import {
  keepReconciling,
  MAX_LOOKUPS_PER_PASS,
  reconcileEstimates,
} from "../../../shared/engine/reconcile-estimates.js";
import { recoverRunHolds } from "../../../shared/engine/recover-holds.js";
import { DEFAULT_PRICES } from "../../../shared/pricing/prices.js";
import type { LoggedRequest, UsageLog } from "../../../shared/providers/usage-log.js";
import type { WorkflowNode } from "../../../shared/schema/workflow.js";
import { RunStore } from "../../../shared/state/run-store.js";
import { frozenTestRun } from "../../support/state-runs.js";
import { startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

/** A usage log the test fills by call key, whose `hasEntriesAfter` answers `caughtUpTo` and which can be made to fail. */
class ScriptedLog implements UsageLog {
  readonly name = "scripted";
  entries = new Map<string, LoggedRequest[]>();
  caughtUpTo = 0;
  failing = false;
  lookups = 0;
  async requestsOf(key: string): Promise<LoggedRequest[]> {
    this.lookups += 1;
    if (this.failing) throw new Error("log unreachable");
    return this.entries.get(key) ?? [];
  }
  async hasEntriesAfter(afterMs: number): Promise<boolean> {
    if (this.failing) throw new Error("log unreachable");
    return this.caughtUpTo > afterMs;
  }
}

/**
 * The reconciliation of estimated calls against a usage log, with the run's books and budget on the local stack: an
 * estimate becomes the billed usage, or no call, only once settled; its budget hold waits for it and is then closed
 * at what was billed.
 */
describe("reconcileEstimates", () => {
  const prefix = `test-reconcile-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let store: RunStore;
  let budgets: BudgetStore;
  let log: ScriptedLog;
  let clock = 100_000;
  let engine: Engine;

  beforeAll(async () => {
    stack = await startStoreBackend(false);
    const redis = storeRedis(stack);
    store = new RunStore(redis, prefix);
    budgets = new BudgetStore(redis, prefix);
    log = new ScriptedLog();
    engine = {
      store,
      budgets: { store: budgets, tenantDaily: {} },
      usageLog: { log, providers: new Set(["anthropic"]), settleMs: 5_000, horizonMs: 60_000 },
      prices: DEFAULT_PRICES,
      now: () => clock,
    } as unknown as Engine;
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  let seq = 0;
  const worst = { inputTokens: 100, outputTokens: 1024, costMicroUsd: 5000 };
  /** A run of nodes `ids` with a 100,000-token budget, each node's attempt 1 reserved and its answer lost. */
  async function runWithLostAnswers(ids: string[]) {
    const runId = `run_${(++seq).toString(16).padStart(26, "0")}`;
    const nodes = ids.map((id) => ({ id, agent: "a", prompt: "p", dependsOn: [], kind: "llm" }) as WorkflowNode);
    const frozen = { ...frozenTestRun(runId, nodes), budget: { tokens: 100_000, onBudget: "fail" as const } };
    await store.startRun({
      frozen,
      dag: compileDag(ids.map((id) => ({ id, dependsOn: [], weightMs: 1 }))),
      fingerprint: "fp",
      now: 1,
      retentionSeconds: 600,
      activeTtlSeconds: 600,
      nodesPerDelivery: 1,
    });
    for (const id of ids) {
      const r = await budgets.reserve(runScope(runId), `${runId}:${id}:1`, 1124, 0.005, { tokens: 100_000 });
      expect(r.status).toBe("reserved");
      await store.recordIntent(runId, id, 1, worst, clock, true);
    }
    await store.bookUnrecorded(runId);
    return { runId, frozen: { tenant: "t", budget: frozen.budget } };
  }

  it("books the billed usage, and a call absent from a log written past it as none; the holds close at that", async () => {
    const { runId, frozen } = await runWithLostAnswers(["a", "b"]);
    log.entries.set(`${runId}/a/1`, [
      { createdAtMs: clock + 10, billed: true, inputTokens: 80, outputTokens: 25, costUsd: 0.0004, model: "m" },
    ]);
    log.caughtUpTo = clock + 1_000;
    // before the settle time nothing is asked or decided, and the holds wait
    expect(await reconcileEstimates(engine, runId)).toMatchObject({ billed: 0, voided: 0, pending: 2 });
    expect(log.lookups).toBe(0);
    await recoverRunHolds(engine, runId, frozen);
    expect((await budgets.usage(runScope(runId))).reservedTokens).toBe(2248);

    clock += 5_000;
    expect(await reconcileEstimates(engine, runId)).toMatchObject({ billed: 1, voided: 1, pending: 0, failed: 0 });
    const snap = await store.readSnapshot(runId);
    expect([snap?.usage["a"], snap?.cost["a"], snap?.usage["b"], snap?.cost["b"]]).toEqual([
      "80,25,0,0",
      "400",
      "0,0,0,0",
      "0",
    ]);
    expect(snap?.meta).toMatchObject({ inputTokens: "80", outputTokens: "25", estimatedCalls: "0" });
    await recoverRunHolds(engine, runId, frozen);
    expect(await budgets.usage(runScope(runId))).toMatchObject({
      usedTokens: 105,
      reservedTokens: 0,
      usedMicroUsd: 400,
    });
    // nothing left: a second pass asks nothing
    const before = log.lookups;
    expect(await reconcileEstimates(engine, runId)).toMatchObject({ billed: 0, voided: 0, pending: 0 });
    expect(log.lookups).toBe(before);
  });

  it("keeps a call estimated while the log is behind or unreadable, until the last look charges its hold whole", async () => {
    const { runId, frozen } = await runWithLostAnswers(["a"]);
    log.caughtUpTo = 0;
    clock += 5_000;
    expect(await reconcileEstimates(engine, runId)).toMatchObject({ pending: 1, failed: 0 });
    log.failing = true;
    const r = await reconcileEstimates(engine, runId);
    expect(r).toMatchObject({ pending: 1, failed: 1, firstError: "log unreachable" });
    log.failing = false;
    expect(keepReconciling(engine, r, clock - 1_000)).toBe(true);
    expect(keepReconciling(engine, r, clock - 60_000)).toBe(false);
    await recoverRunHolds(engine, runId, frozen);
    expect((await budgets.usage(runScope(runId))).reservedTokens).toBe(1124);
    await recoverRunHolds(engine, runId, frozen, { final: true });
    expect(await budgets.usage(runScope(runId))).toMatchObject({ usedTokens: 1124, reservedTokens: 0 });
    expect((await store.readSnapshot(runId))?.meta).toMatchObject({ estimatedCalls: "1", estimatedTokens: "1124" });
  });

  it("prices a call the log left unpriced from the table; decides nothing from an abandoned request's entry", async () => {
    const { runId, frozen } = await runWithLostAnswers(["a", "b"]);
    log.entries.set(`${runId}/a/1`, [
      { createdAtMs: clock, billed: true, inputTokens: 800, outputTokens: 0, model: "claude-haiku-4-5" },
    ]);
    // the gateway logged b's request as not billed, but not as the provider's error answer (its client went away)
    log.entries.set(`${runId}/b/1`, [
      { createdAtMs: clock, billed: false, status: 499, inputTokens: 0, outputTokens: 0 },
    ]);
    log.caughtUpTo = clock + 1_000;
    clock += 5_000;
    expect(await reconcileEstimates(engine, runId)).toMatchObject({ billed: 1, voided: 0, pending: 1 });
    const snap = await store.readSnapshot(runId);
    // 800 tokens at claude-haiku-4-5's input price (USD per million tokens, shared/pricing/prices.ts), in µUSD
    expect(Number(snap?.cost["a"])).toBe(800 * (DEFAULT_PRICES["claude-haiku-4-5"]?.input ?? Number.NaN));
    expect(snap?.meta).toMatchObject({ estimatedCalls: "1", reconciledCalls: "1" });
    await recoverRunHolds(engine, runId, frozen);
    // a's hold closed at its billed tokens, b's still waits
    expect(await budgets.usage(runScope(runId))).toMatchObject({ usedTokens: 800, reservedTokens: 1124 });
  });

  it("stops a pass at the first failing look-up, and reads back only calls made through the gateway", async () => {
    const { runId } = await runWithLostAnswers(["a", "b"]);
    await store.recordIntent(runId, "c", 1, worst, clock, false);
    await store.bookUnrecorded(runId);
    clock += 5_000;
    log.failing = true;
    const before = log.lookups;
    expect(await reconcileEstimates(engine, runId)).toMatchObject({ pending: 2, failed: 1 });
    expect(log.lookups - before).toBe(1);
    log.failing = false;
    log.caughtUpTo = clock;
    // c's call is estimated like the others, but not through the gateway: it is neither looked up nor voided
    expect(await reconcileEstimates(engine, runId)).toMatchObject({ voided: 2, pending: 0 });
    expect(await store.readEstimates(runId)).toEqual([]);
    expect((await store.readSnapshot(runId))?.meta).toMatchObject({ estimatedCalls: "1", voidedCalls: "2" });
  });

  it("looks up at most MAX_LOOKUPS_PER_PASS calls per pass; the next pass takes the rest", async () => {
    const ids = Array.from({ length: MAX_LOOKUPS_PER_PASS + 2 }, (_, i) => `n${i}`);
    const { runId } = await runWithLostAnswers(ids);
    log.caughtUpTo = clock + 1_000;
    clock += 5_000;
    const before = log.lookups;
    expect(await reconcileEstimates(engine, runId)).toMatchObject({ voided: MAX_LOOKUPS_PER_PASS, pending: 2 });
    expect(log.lookups - before).toBe(MAX_LOOKUPS_PER_PASS);
    expect(await reconcileEstimates(engine, runId)).toMatchObject({ voided: 2, pending: 0 });
  });

  it("does nothing without a usage log: estimates stay, and their holds close at once", async () => {
    const { runId, frozen } = await runWithLostAnswers(["a"]);
    const bare = { ...engine, usageLog: undefined } as Engine;
    clock += 5_000;
    expect(await reconcileEstimates(bare, runId)).toMatchObject({ billed: 0, voided: 0, pending: 0 });
    await recoverRunHolds(bare, runId, frozen);
    expect(await budgets.usage(runScope(runId))).toMatchObject({ usedTokens: 1124, reservedTokens: 0 });
  });
});
