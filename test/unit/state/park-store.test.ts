import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { type ParkStore, parkLease, type ResolveParams } from "../../../shared/state/park-store.js";
import { RunStore } from "../../../shared/state/run-store.js";
import { startTestRun } from "../../support/state-runs.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

/**
 * Parked nodes (park_node, resolve_parked: a wait node waiting for its signal) and how the other transitions treat
 * them, through the official client and the local Upstash REST server on both of its backends.
 */
describe.each(STORE_BACKENDS)("parked nodes on $name", ({ memory }) => {
  const prefix = `test-park-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let store: RunStore;
  let parks: ParkStore;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    store = new RunStore(storeRedis(stack), prefix);
    parks = store.parks;
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  let seq = 0;
  /** Starts a run of the DAG `deps` (node -> dependencies) with `concurrency` slots, created at ms 1. */
  async function start(deps: Record<string, string[]>, concurrency = 1000) {
    const runId = `run_${(++seq).toString(16).padStart(26, "0")}`;
    await startTestRun(store, runId, deps, { concurrency });
    return runId;
  }
  const snap = async (runId: string) => {
    const s = await store.readSnapshot(runId);
    if (!s) throw new Error(`no run ${runId}`);
    return s;
  };
  /** What a refused or replayed transition must leave as it was (the event log aside). */
  const state = async (runId: string) => {
    const s = await snap(runId);
    return { meta: s.meta, status: s.status, output: s.output, error: s.error, started: s.started };
  };
  const done = (ref: string) => ({
    outputRef: ref,
    inputTokens: 0,
    outputTokens: 0,
    model: "",
    excerpt: "",
    finishedAt: 9,
  });
  const approve = (now: number, more: Partial<ResolveParams> = {}): ResolveParams => ({
    outcome: "done",
    source: "signal",
    fingerprint: "f1",
    lease: parkLease("w"),
    now,
    ref: "out-w",
    ...more,
  });
  /** Starts `{w: [], d: [w]}` plus `more`, claims w under "m:0" and parks it with deadline 100. */
  async function parked(more: Record<string, string[]> = {}, concurrency = 1000) {
    const runId = await start({ w: [], d: ["w"], ...more }, concurrency);
    await store.claimNode(runId, "w", "m:0", 2);
    const r = await parks.park(runId, "w", "m:0", { now: 3, deadline: 100, note: "Ship it?" });
    return { runId, r };
  }

  it("uses the requested backend", () => {
    expect(stack.backend).toBe(memory ? "memory" : "redis");
  });

  it("park frees the node's slot and takes the next ready node; only the lease holding the node may park it", async () => {
    // 1 slot plus 1 message published ahead (prefetch.ts): w (longest path) and x (ties go by id, descending) are
    // taken at the start, b waits in the ready set
    const runId = await start({ b: [], w: [], x: [], d: ["w"] }, 1);
    expect((await snap(runId)).status).toMatchObject({ x: "queued", w: "queued", b: "pending" });
    await store.claimNode(runId, "w", "m:0", 2);
    const before = await state(runId);
    expect(await parks.park(runId, "w", "other:0", { now: 3, deadline: 100, note: "q" })).toEqual({
      kind: "refused",
      reason: "superseded",
    });
    expect(await state(runId)).toEqual(before);

    expect(await parks.park(runId, "w", "m:0", { now: 3, deadline: 100, note: "Ship it?" })).toEqual({
      kind: "parked",
      generation: 1,
      dispatch: ["b"],
    });
    const s = await snap(runId);
    expect(s.status).toEqual({ x: "queued", w: "waiting", b: "queued", d: "pending" });
    expect(s.meta).toMatchObject({ status: "running", "parked:w": "1|100", "parkNote:w": "Ship it?", inflight: "2" });
    expect(await parks.info(runId, "w")).toEqual({ generation: 1, deadline: 100, note: "Ship it?", took: ["b"] });
    // a redelivery of its message finds it waiting and changes nothing
    expect(await store.claimNode(runId, "w", "m:1", 4)).toMatchObject({ claimed: false, reason: "waiting" });
    expect(await parks.park(runId, "w", "m:0", { now: 5, deadline: 200, note: "again" })).toEqual({
      kind: "refused",
      reason: "waiting",
    });
    // a failure callback of its message does not fail a parked node
    expect(await store.failNode(runId, "w", "retries exhausted", 6, undefined, "m")).toMatchObject({ applied: false });
    expect((await snap(runId)).status.w).toBe("waiting");
  });

  it("a decision holds the node under its lease for the transition; the same one repeated changes nothing", async () => {
    const { runId } = await parked({ e: [] });
    expect(await parks.resolve(runId, "w", approve(10))).toEqual({
      kind: "decided",
      outcome: "done",
      source: "signal",
      at: 10,
      ref: "out-w",
      generation: 1,
    });
    let s = await snap(runId);
    expect(s.status.w).toBe("running");
    expect(s.meta["resolved:w"]).toBe("1|done|signal|10|f1|out-w|");
    // before its transition ran, a repeat says the transition is still pending
    expect(await parks.resolve(runId, "w", approve(11, { ref: "other" }))).toMatchObject({
      kind: "replayed",
      at: 10,
      ref: "out-w",
      pending: true,
    });
    // the transition: complete_node under the ordinary rules (the claimed start kept), d released
    expect(await store.completeNode(runId, "w", done("out-w"), { generation: 1 })).toMatchObject({
      applied: true,
      dispatch: ["d"],
    });
    s = await snap(runId);
    expect(s.status).toMatchObject({ w: "done", d: "queued" });
    expect(s.started.w).toBe("2");
    expect(s.output.w).toBe("out-w");
    const after = await state(runId);
    expect(await parks.resolve(runId, "w", approve(12))).toMatchObject({
      kind: "replayed",
      outcome: "done",
      at: 10,
      nodeStatus: "done",
      pending: false,
    });
    // another signal is refused: the node is no longer waiting
    expect(await parks.resolve(runId, "w", approve(13, { outcome: "failed", fingerprint: "f2" }))).toEqual({
      kind: "refused",
      reason: "not-waiting",
      nodeStatus: "done",
    });
    expect(await state(runId)).toEqual(after);
  });

  it("the same Idempotency-Key is a replay; with another signal it is a conflict; a node not waiting is refused", async () => {
    const { runId } = await parked();
    expect(await parks.resolve(runId, "d", approve(9))).toMatchObject({ kind: "refused", reason: "not-waiting" });
    expect(await parks.resolve(runId, "nope", approve(9))).toMatchObject({ kind: "refused", reason: "unknown-node" });
    // an approval without its output is refused
    expect(await parks.resolve(runId, "w", approve(9, { ref: "" }))).toMatchObject({
      kind: "refused",
      reason: "not-waiting",
    });
    expect((await snap(runId)).status.w).toBe("waiting");
    expect(await parks.resolve(runId, "w", approve(10, { idempotencyKey: "k|1" }))).toMatchObject({ kind: "decided" });
    const after = await state(runId);
    expect(await parks.resolve(runId, "w", approve(11, { idempotencyKey: "k|1" }))).toMatchObject({
      kind: "replayed",
      at: 10,
    });
    expect(
      await parks.resolve(runId, "w", approve(12, { idempotencyKey: "k|1", outcome: "failed", fingerprint: "f2" })),
    ).toMatchObject({ kind: "refused", reason: "idempotency-conflict" });
    expect(await state(runId)).toEqual(after);
  });

  it("a timeout applies only once its deadline has passed, and only in the try it was parked in", async () => {
    const { runId } = await parked();
    const timeout = (now: number, generation?: number): ResolveParams => ({
      outcome: "failed",
      source: "timeout",
      fingerprint: "timeout",
      lease: parkLease("w"),
      now,
      generation,
      due: { toleranceMs: 5 },
    });
    const before = await state(runId);
    expect(await parks.resolve(runId, "w", timeout(90))).toEqual({
      kind: "refused",
      reason: "early",
      nodeStatus: "waiting",
      deadline: 100,
    });
    expect(await parks.resolve(runId, "w", timeout(96, 7))).toMatchObject({
      kind: "refused",
      reason: "stale-generation",
    });
    expect(await state(runId)).toEqual(before);
    expect(await parks.resolve(runId, "w", timeout(96, 1))).toMatchObject({ kind: "decided", outcome: "failed" });
    // the failure runs under the decision's lease: the node fails, its dependent is skipped, the run ends
    const t = await store.failNode(runId, "w", "no signal within 1h", 97, parkLease("w"), undefined, { generation: 1 });
    expect(t).toMatchObject({ applied: true, runStatus: "failed", skipped: ["d"] });
    // a late signal after the timeout changes nothing
    const after = await state(runId);
    expect(await parks.resolve(runId, "w", approve(98))).toMatchObject({ kind: "refused", reason: "not-waiting" });
    expect(await state(runId)).toEqual(after);
  });

  it("a delivery that takes over a decided node whose transition was lost is told the decision", async () => {
    const { runId } = await parked();
    await parks.resolve(runId, "w", approve(10));
    // the transition never ran; a delivery takes the node over from the decision's lease
    expect(await store.claimNode(runId, "w", "m:2", 20, [], undefined, parkLease("w"))).toMatchObject({
      claimed: true,
    });
    expect(await parks.park(runId, "w", "m:2", { now: 21, deadline: 300, note: "Ship it?" })).toEqual({
      kind: "decided",
      outcome: "done",
      source: "signal",
      at: 10,
      ref: "out-w",
    });
    expect((await snap(runId)).status.w).toBe("running");
  });

  it("cancel cancels a waiting node; a retry puts it back to pending, to wait again under a new generation", async () => {
    const { runId } = await parked();
    expect(await store.cancelRun(runId, 10)).toEqual({ outcome: "cancelled", nodes: 2 });
    expect((await snap(runId)).status).toEqual({ w: "cancelled", d: "cancelled" });
    expect(await parks.resolve(runId, "w", approve(11))).toMatchObject({ kind: "refused", reason: "not-waiting" });
    expect(await store.retryRun(runId, { now: 50, generation: 50, activeTtlSeconds: 600 })).toMatchObject({
      kind: "applied",
      dispatch: ["w"],
    });
    expect(await store.claimNode(runId, "w", "n:0", 51, [], 50)).toMatchObject({ claimed: true });
    expect(await parks.park(runId, "w", "n:0", { now: 52, deadline: 500, note: "Again?", generation: 50 })).toEqual({
      kind: "parked",
      generation: 50,
      dispatch: [],
    });
    // the earlier try's timeout changes nothing; this try's signal decides it
    expect(
      await parks.resolve(runId, "w", { ...approve(600), source: "timeout", fingerprint: "timeout", generation: 1 }),
    ).toMatchObject({ kind: "refused", reason: "stale-generation" });
    expect(await parks.resolve(runId, "w", approve(60))).toMatchObject({ kind: "decided", generation: 50 });
  });
});
