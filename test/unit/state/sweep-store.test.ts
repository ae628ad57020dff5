import type { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { compileDag } from "../../../shared/dag/compile.js";
import type { WorkflowNode } from "../../../shared/schema/workflow.js";
import { RunStore } from "../../../shared/state/run-store.js";
import type { FrozenRun } from "../../../shared/state/run-types.js";
import { SweepStore } from "../../../shared/state/sweep-store.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

const T0 = 1_800_000_000_000;

/**
 * sweep_run and the sweeper's read through the official client and the local Upstash REST server, on a real Redis
 * and on the embedded in-memory store: repairs apply only to nodes unchanged since the read, are recorded, and
 * keep the run's keys alive.
 */
describe.each(STORE_BACKENDS)("sweep store on $name", ({ memory }) => {
  const prefix = `test-sweep-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let redis: Redis;
  let store: RunStore;
  let sweeps: SweepStore;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    redis = storeRedis(stack);
    store = new RunStore(redis, prefix);
    sweeps = new SweepStore(redis, prefix);
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  let seq = 0;
  /** Starts a run of `deps` (node -> dependencies) at T0, concurrency `concurrency`, one node per delivery. */
  async function start(deps: Record<string, string[]>, concurrency = 10): Promise<string> {
    const runId = `run_${(++seq).toString(16).padStart(26, "0")}`;
    const nodes = Object.entries(deps).map(
      ([id, dependsOn]) => ({ id, agent: "a", prompt: "p", dependsOn, kind: "llm" }) as WorkflowNode,
    );
    const dag = compileDag(nodes.map((n) => ({ id: n.id, dependsOn: n.dependsOn, weightMs: 1 })));
    const frozen = {
      runId,
      tenant: "t",
      workflow: {
        name: "w",
        concurrency,
        mode: "eager",
        nodesPerDelivery: 1,
        cache: true,
        cacheTtl: "1h",
        defaults: { retries: 3, timeout: "120s" },
        agents: { a: {} },
        nodes,
      },
      inputRef: "0".repeat(64),
      simulate: null,
      budget: null,
      baseUrl: "http://x",
      trigger: "api",
      createdAt: T0,
    } as unknown as FrozenRun;
    const r = await store.startRun({
      frozen,
      dag,
      fingerprint: "f",
      now: T0,
      retentionSeconds: 60,
      activeTtlSeconds: 600,
      nodesPerDelivery: 1,
    });
    expect(r.created).toBe(true);
    return runId;
  }

  it("uses the requested backend", () => {
    expect(stack.backend).toBe(memory ? "memory" : "redis");
  });

  it("reads statuses with the time each taken node was offered", async () => {
    const runId = await start({ a: [], b: ["a"] });
    const s = await sweeps.read(runId);
    expect(s?.status).toEqual({ a: "queued", b: "pending" });
    expect(s?.offered).toEqual({ a: `${T0}` });
    expect(s?.frozen.runId).toBe(runId);
    expect(await sweeps.read("run_ffffffffffffffffffffffffff")).toBeNull();
  });

  it("applies a repair only while the node is as the sweeper saw it, and records it", async () => {
    const runId = await start({ a: [], b: [] });
    const now = T0 + 200_000;
    const applied = await sweeps.apply(runId, now, 600, [
      { nodeId: "a", reason: "root-not-published", seen: "queued", mark: `${T0}` },
      // b was offered again since (another mark): left alone
      { nodeId: "b", reason: "root-not-published", seen: "queued", mark: `${T0 - 1}` },
    ]);
    expect(applied).toEqual({ runStatus: "running", repaired: [{ nodeId: "a", reason: "root-not-published" }] });
    const s = await sweeps.read(runId);
    expect(s?.offered).toEqual({ a: `${now}`, b: `${T0}` });
    expect(await sweeps.repairs(runId)).toEqual([
      { at: new Date(now).toISOString(), nodeId: "a", reason: "root-not-published" },
    ]);
    // a delivery claimed the node meanwhile: a repair decided on the old read no longer applies
    await store.claimNode(runId, "b", "m1:0", now);
    const late = await sweeps.apply(runId, now + 1, 600, [
      { nodeId: "b", reason: "root-not-published", seen: "queued", mark: `${T0}` },
    ]);
    expect(late.repaired).toEqual([]);
  });

  it("re-offers a running node only while the same attempt holds it", async () => {
    const runId = await start({ a: [] });
    await store.claimNode(runId, "a", "dead:0", T0 + 5);
    const stale = await sweeps.apply(runId, T0 + 999_999, 600, [
      { nodeId: "a", reason: "lease-expired", seen: "running", mark: `${T0 + 4}` },
    ]);
    expect(stale.repaired).toEqual([]);
    const ok = await sweeps.apply(runId, T0 + 999_999, 600, [
      { nodeId: "a", reason: "lease-expired", seen: "running", mark: `${T0 + 5}` },
    ]);
    expect(ok.repaired).toEqual([{ nodeId: "a", reason: "lease-expired" }]);
    // the new message's delivery, past the dead holder's deadline, takes the node over (a second attempt)
    expect(await store.claimNode(runId, "a", "fresh:0", T0 + 1_000_000, [], undefined, "dead:0")).toMatchObject({
      claimed: true,
      attempt: 2,
    });
  });

  it("takes ready nodes a run has free slots for (a lost take), as a repair", async () => {
    const runId = await start({ a: [], b: [], c: [], d: [] }, 1);
    // concurrency 1 + one message ahead: two taken, two ready; the in-flight count drifts to zero
    const queued = async () => Object.values((await sweeps.read(runId))?.status ?? {}).filter((x) => x === "queued");
    expect(await queued()).toHaveLength(2);
    const keys = store.keys(runId);
    await redis.hset(keys.meta, { inflight: 0 });
    const applied = await sweeps.apply(runId, T0 + 10, 600, []);
    expect(applied.repaired.map((r) => r.reason)).toEqual(["ready-not-taken", "ready-not-taken"]);
    expect(await redis.zcard(keys.ready)).toBe(0);
    expect(await queued()).toHaveLength(4);
  });

  it("gives every key of an active run the active TTL, and leaves a finished run alone", async () => {
    const runId = await start({ a: [] });
    const keys = store.keys(runId);
    await redis.expire(keys.meta, 30);
    await sweeps.apply(runId, T0 + 1, 900, [
      { nodeId: "a", reason: "root-not-published", seen: "queued", mark: `${T0}` },
    ]);
    for (const key of [keys.meta, keys.status, keys.repairs, keys.offered])
      expect(await redis.ttl(key), key).toBeGreaterThan(890);
    await redis.hset(keys.meta, { status: "completed" });
    expect(await sweeps.apply(runId, T0 + 2, 900, [])).toEqual({ runStatus: "completed", repaired: [] });
    expect(await redis.llen(keys.repairs)).toBe(1);
    await redis.del(...keys.all);
    expect((await sweeps.apply(runId, T0 + 3, 900, [])).runStatus).toBe("missing");
  });
});
