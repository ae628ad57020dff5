import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { RunStore } from "../../../shared/state/run-store.js";
import { startTestRun } from "../../support/state-runs.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

/**
 * Operating a run (cancel_run, retry_run, rerun_from) and the failure policies (fail_node's `fail-fast` and
 * `continue`), through the official client and the local Upstash REST server on both of its backends.
 */
describe.each(STORE_BACKENDS)("run actions on $name", ({ memory }) => {
  const prefix = `test-actions-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let store: RunStore;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    const redis = storeRedis(stack);
    store = new RunStore(redis, prefix);
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  it("uses the requested backend", () => {
    expect(stack.backend).toBe(memory ? "memory" : "redis");
  });

  let seq = 0;
  /** Starts a run of the DAG `deps` (node -> dependencies), created at ms 1 (its first dispatch generation). */
  async function start(deps: Record<string, string[]>, mode: "eager" | "levels" = "eager") {
    const runId = `run_${(++seq).toString(16).padStart(26, "0")}`;
    await startTestRun(store, runId, deps, { mode });
    return runId;
  }

  const done = (ref = "r") => ({
    outputRef: ref,
    inputTokens: 1,
    outputTokens: 2,
    model: "m",
    excerpt: "e",
    startedAt: 1,
    finishedAt: 2,
  });
  const action = (now: number, idempotencyKey?: string) => ({
    now,
    generation: now,
    activeTtlSeconds: 600,
    idempotencyKey,
  });
  const snap = async (runId: string) => {
    const s = await store.readSnapshot(runId);
    if (!s) throw new Error(`no run ${runId}`);
    return s;
  };

  describe("cancel_run", () => {
    it("cancels every unfinished node, refuses later claims, and keeps a running call's output", async () => {
      const runId = await start({ a: [], b: [], c: [], d: ["a", "b"] });
      await store.claimNode(runId, "a", "a:0", 2);
      await store.completeNode(runId, "a", done("ra"));
      await store.claimNode(runId, "b", "b:0", 3); // b's call is in flight; c is queued, d pending
      expect(await store.cancelRun(runId, 10)).toEqual({ outcome: "cancelled", nodes: 3 });
      let s = await snap(runId);
      expect(s.status).toEqual({ a: "done", b: "cancelled", c: "cancelled", d: "cancelled" });
      expect(s.meta).toMatchObject({ status: "cancelled", finishedAt: "10", cancelledCount: "3", inflight: "0" });
      // no node starts any more: the queued node's delivery is refused
      expect(await store.claimNode(runId, "c", "c:0", 11)).toMatchObject({ claimed: false, reason: "cancelled" });
      // the call that was running ends: its output and usage are recorded, nothing is released or taken
      expect(await store.completeNode(runId, "b", done("rb"))).toMatchObject({
        applied: true,
        runStatus: "cancelled",
        dispatch: [],
        chained: null,
      });
      // a late completion of a node that never ran changes nothing
      expect(await store.completeNode(runId, "c", done("rc"))).toMatchObject({ applied: false });
      s = await snap(runId);
      expect(s.status).toEqual({ a: "done", b: "done", c: "cancelled", d: "cancelled" });
      expect(s.output).toEqual({ a: "ra", b: "rb" });
      expect(s.meta).toMatchObject({ status: "cancelled", doneCount: "2", cancelledCount: "2" });
      // idempotent; a finished run is not cancelled
      expect(await store.cancelRun(runId, 12)).toEqual({ outcome: "already" });
      const other = await start({ x: [] });
      await store.claimNode(other, "x", "x:0", 2);
      await store.completeNode(other, "x", done());
      expect(await store.cancelRun(other, 3)).toEqual({ outcome: "finished", status: "completed" });
      expect(await store.cancelRun("run_ffffffffffffffffffffffffff", 3)).toEqual({ outcome: "missing" });
    });
  });

  describe("retry_run", () => {
    it("puts failed, skipped and cancelled nodes back to pending under a new try; done nodes stay done", async () => {
      const runId = await start({ a: [], b: ["a"], c: ["b"], d: [] });
      await store.claimNode(runId, "a", "a:0", 2);
      await store.completeNode(runId, "a", done("ra"));
      await store.claimNode(runId, "d", "d:0", 2);
      await store.completeNode(runId, "d", done("rd"));
      await store.claimNode(runId, "b", "b:0", 3);
      expect(await store.failNode(runId, "b", "HTTP 400: bad", 4, "b:0")).toMatchObject({ runStatus: "failed" });

      const r = await store.retryRun(runId, action(100));
      expect(r).toEqual({ kind: "applied", try: 2, reset: 2, generation: 100, dispatch: ["b"] });
      const s = await snap(runId);
      expect(s.status).toEqual({ a: "done", b: "queued", c: "pending", d: "done" });
      expect(s.meta).toMatchObject({ status: "running", try: "2", generation: "100", failedCount: "0" });
      expect(s.meta.finishedAt).toBeUndefined();
      expect(s.attempts.b).toBe("1"); // attempts keep counting across tries
      expect(s.error.b).toBe("HTTP 400: bad"); // the earlier error stays visible until b runs again
      expect(s.history).toEqual({ b: "1|failed|1|HTTP 400: bad", c: "1|skipped|0|skipped: upstream node b failed" });

      // a message of the first try is refused; the new try's message is claimed (attempt 2)
      expect(await store.claimNode(runId, "b", "old:1", 101, [], 1)).toMatchObject({
        claimed: false,
        reason: "stale-generation",
      });
      expect(await store.claimNode(runId, "b", "new:0", 101, ["a"], 100)).toEqual({
        claimed: true,
        attempt: 2,
        refs: { a: "ra" },
      });
      // a completion or failure from the first try changes nothing either
      expect(await store.completeNode(runId, "b", done("old"), { generation: 1 })).toMatchObject({ applied: false });
      expect(await store.failNode(runId, "b", "late", 102, undefined, "old", { generation: 1 })).toMatchObject({
        applied: false,
      });
      expect(await store.completeNode(runId, "b", done("rb"), { generation: 100 })).toMatchObject({
        applied: true,
        dispatch: ["c"],
      });
      await store.claimNode(runId, "c", "c:0", 103, [], 100);
      expect(await store.completeNode(runId, "c", done("rc"), { generation: 100 })).toMatchObject({
        runStatus: "completed",
      });
      expect((await snap(runId)).meta).toMatchObject({ doneCount: "4", terminalCount: "4", skippedCount: "0" });
      // nothing left to retry
      expect(await store.retryRun(runId, action(200))).toMatchObject({ kind: "refused", reason: "completed" });
    });

    it("resumes a cancelled run, and refuses a running one", async () => {
      const runId = await start({ a: [], b: ["a"] });
      expect(await store.retryRun(runId, action(50))).toMatchObject({ kind: "refused", reason: "running" });
      await store.cancelRun(runId, 5);
      expect(await store.retryRun(runId, action(50))).toMatchObject({ kind: "applied", reset: 2, dispatch: ["a"] });
      expect((await snap(runId)).status).toEqual({ a: "queued", b: "pending" });
      expect((await snap(runId)).meta).toMatchObject({ cancelledCount: "0", terminalCount: "0", inflight: "1" });
    });

    it("a new generation is always greater than the current one", async () => {
      const runId = await start({ a: [] });
      await store.cancelRun(runId, 2);
      // a clock that did not move (or went back) still gets a fresh generation
      expect(await store.retryRun(runId, action(1))).toMatchObject({ kind: "applied", generation: 2 });
    });

    it("answers a repeat of the same Idempotency-Key with the first answer and changes nothing", async () => {
      const runId = await start({ a: [], b: [] });
      await store.cancelRun(runId, 2);
      expect(await store.retryRun(runId, action(10, "k1"))).toMatchObject({ kind: "applied", try: 2, reset: 2 });
      await store.claimNode(runId, "a", "a:0", 11, [], 10);
      expect(await store.retryRun(runId, action(20, "k1"))).toEqual({
        kind: "replayed",
        try: 2,
        reset: 2,
        generation: 10,
      });
      expect((await snap(runId)).status.a).toBe("running");
      expect(await store.rerunFrom(runId, "a", action(30, "k1"))).toMatchObject({
        kind: "refused",
        reason: "idempotency-conflict",
      });
    });

    it("in levels mode, reopens the levels from the first one not finished", async () => {
      const runId = await start({ a: [], b: [], c: ["a"], d: ["b"] }, "levels");
      await store.claimNode(runId, "a", "a:0", 2);
      await store.completeNode(runId, "a", done("ra"));
      await store.cancelRun(runId, 3);
      const r = await store.retryRun(runId, action(10));
      // level 1 still has b to finish: c waits for it although a is done
      expect(r).toMatchObject({ kind: "applied", dispatch: ["b"] });
      expect((await snap(runId)).meta.openLevel).toBe("1");
    });
  });

  describe("rerun_from", () => {
    it("recomputes the node and its descendants, keeping everything else", async () => {
      const runId = await start({ a: [], b: ["a"], c: ["b"], d: [] });
      for (const [id, ref] of [
        ["a", "ra"],
        ["d", "rd"],
        ["b", "rb"],
        ["c", "rc"],
      ] as const) {
        await store.claimNode(runId, id, `${id}:0`, 2);
        await store.completeNode(runId, id, done(ref));
      }
      expect((await snap(runId)).meta.status).toBe("completed");
      const r = await store.rerunFrom(runId, "b", action(100));
      expect(r).toEqual({ kind: "applied", try: 2, reset: 2, generation: 100, dispatch: ["b"] });
      let s = await snap(runId);
      expect(s.status).toEqual({ a: "done", b: "queued", c: "pending", d: "done" });
      expect(s.output).toMatchObject({ b: "rb", c: "rc" }); // replaced when the new outputs arrive
      expect(s.meta).toMatchObject({ status: "running", rerunFrom: "b", doneCount: "2", try: "2" });
      await store.claimNode(runId, "b", "b2:0", 101, ["a"], 100);
      expect(await store.completeNode(runId, "b", done("rb2"), { generation: 100 })).toMatchObject({
        dispatch: ["c"],
      });
      await store.claimNode(runId, "c", "c2:0", 102, ["b"], 100);
      await store.completeNode(runId, "c", done("rc2"), { generation: 100 });
      s = await snap(runId);
      expect(s.meta.status).toBe("completed");
      expect(s.output).toEqual({ a: "ra", b: "rb2", c: "rc2", d: "rd" });
      expect(s.attempts).toEqual({ a: "1", b: "2", c: "2", d: "1" });
      expect(s.history?.b).toBe("1|done|1|");
    });

    it("refuses a running run, an unknown node and a node whose dependency is not done", async () => {
      const runId = await start({ a: [], b: ["a"], c: [] });
      expect(await store.rerunFrom(runId, "a", action(10))).toMatchObject({ kind: "refused", reason: "running" });
      await store.claimNode(runId, "a", "a:0", 2);
      await store.failNode(runId, "a", "boom", 3, "a:0");
      await store.claimNode(runId, "c", "c:0", 2);
      await store.completeNode(runId, "c", done());
      const before = await snap(runId);
      expect(await store.rerunFrom(runId, "ghost", action(10))).toMatchObject({ reason: "unknown-node" });
      expect(await store.rerunFrom(runId, "b", action(10))).toEqual({
        kind: "refused",
        reason: "blocked",
        detail: "a",
      });
      expect(await snap(runId)).toEqual(before); // nothing changed
      // rerunning the failed node itself is allowed: its dependents come back with it
      expect(await store.rerunFrom(runId, "a", action(10))).toMatchObject({ kind: "applied", reset: 2 });
    });

    it("refuses a node one of whose descendants waits on a node outside the rerun that is not done", async () => {
      // b done, a failed, c (needs a and b) skipped: rerunning b alone would leave c pending for good
      const runId = await start({ a: [], b: [], c: ["a", "b"] });
      await store.claimNode(runId, "b", "b:0", 2);
      await store.completeNode(runId, "b", done());
      await store.claimNode(runId, "a", "a:0", 2);
      await store.failNode(runId, "a", "boom", 3, "a:0");
      expect((await snap(runId)).meta.status).toBe("failed");
      const before = await snap(runId);
      expect(await store.rerunFrom(runId, "b", action(10))).toEqual({
        kind: "refused",
        reason: "blocked",
        detail: "a",
      });
      expect(await snap(runId)).toEqual(before);
    });
  });

  describe("failure policies", () => {
    it("fail-fast: the first failure cancels the rest and fails the run at once", async () => {
      const runId = await start({ a: [], b: [], c: [], d: ["b"] });
      await store.claimNode(runId, "a", "a:0", 2);
      await store.claimNode(runId, "b", "b:0", 2);
      const t = await store.failNode(runId, "a", "boom", 5, "a:0", undefined, { policy: "fail-fast" });
      expect(t).toMatchObject({ applied: true, runStatus: "failed", dispatch: [] });
      const s = await snap(runId);
      expect(s.status).toEqual({ a: "failed", b: "cancelled", c: "cancelled", d: "cancelled" });
      expect(await store.claimNode(runId, "c", "c:0", 6)).toMatchObject({ claimed: false, reason: "run-failed" });
      // b's call was in flight: its output is kept
      expect(await store.completeNode(runId, "b", done("rb"))).toMatchObject({ applied: true, dispatch: [] });
      expect((await snap(runId)).status.b).toBe("done");
      // a retry brings back the failed and the cancelled nodes
      expect(await store.retryRun(runId, action(10))).toMatchObject({ reset: 3 });
      expect((await snap(runId)).status).toEqual({ a: "queued", b: "done", c: "queued", d: "queued" });
    });

    it("continue: dependents run and read the failure marker; the run completes", async () => {
      const runId = await start({ a: [], b: ["a"], c: ["b"] });
      await store.claimNode(runId, "a", "a:0", 2);
      const t = await store.failNode(runId, "a", "boom", 3, "a:0", undefined, {
        policy: "continue",
        markerRef: "marker",
      });
      expect(t).toMatchObject({ applied: true, runStatus: "running", dispatch: ["b"], skipped: [] });
      expect(await store.claimNode(runId, "b", "b:0", 4, ["a"])).toMatchObject({ refs: { a: "marker" } });
      await store.completeNode(runId, "b", done("rb"));
      await store.claimNode(runId, "c", "c:0", 5);
      expect(await store.completeNode(runId, "c", done("rc"))).toMatchObject({ runStatus: "completed" });
      expect((await snap(runId)).meta).toMatchObject({ failedCount: "1", toleratedCount: "1", doneCount: "2" });
    });

    it("a skip-dependents failure beside a tolerated one still fails the run", async () => {
      const runId = await start({ a: [], b: [] });
      await store.claimNode(runId, "a", "a:0", 2);
      await store.claimNode(runId, "b", "b:0", 2);
      await store.failNode(runId, "a", "x", 3, "a:0", undefined, { policy: "continue", markerRef: "m" });
      expect(await store.failNode(runId, "b", "y", 3, "b:0")).toMatchObject({ runStatus: "failed" });
    });
  });
});
