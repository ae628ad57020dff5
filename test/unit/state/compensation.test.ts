import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { compileDag } from "../../../shared/dag/compile.js";
import type { FailurePolicy, WorkflowNode } from "../../../shared/schema/workflow.js";
import { RunStore } from "../../../shared/state/run-store.js";
import { frozenTestRun } from "../../support/state-runs.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

/**
 * Saga compensation in the run's Lua transitions (shared/state/lua/compensate.ts): a run that would end `failed` or
 * `cancelled` with done compensable nodes runs their compensations first, in reverse topological order, through
 * the ordinary claim/complete/fail path; on both backends of the local Upstash REST server.
 */
describe.each(STORE_BACKENDS)("compensation on $name", ({ memory }) => {
  const prefix = `test-compensate-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let store: RunStore;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    const redis = storeRedis(stack);
    store = new RunStore(redis, prefix);
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  let seq = 0;
  /** Starts a run: node -> [dependencies, has a compensate step, failure policy]. */
  async function start(spec: Record<string, [string[], boolean, FailurePolicy?]>) {
    const runId = `run_${(++seq).toString(16).padStart(26, "c")}`;
    const nodes = Object.entries(spec).map(
      ([id, [dependsOn, comp, onFailure]]) =>
        ({
          id,
          agent: "a",
          prompt: "p",
          dependsOn,
          kind: "llm",
          ...(comp ? { compensate: { prompt: `undo {{nodes.${id}.output}}` } } : {}),
          ...(onFailure ? { onFailure } : {}),
        }) as WorkflowNode,
    );
    const dag = compileDag(nodes.map((n) => ({ id: n.id, dependsOn: n.dependsOn })));
    const frozen = frozenTestRun(runId, nodes, { createdAt: 1 });
    const started = await store.startRun({
      frozen,
      dag,
      fingerprint: "fp",
      now: 1,
      retentionSeconds: 60,
      activeTtlSeconds: 600,
      nodesPerDelivery: 1,
    });
    return { runId, roots: started.created ? started.roots : [] };
  }
  const out = (ref: string, at: number) => ({
    outputRef: ref,
    inputTokens: 1,
    outputTokens: 2,
    model: "m",
    excerpt: "e",
    startedAt: at,
    finishedAt: at,
  });
  /** Claims and completes node `id` at time `at`; returns the completion. */
  async function run(runId: string, id: string, at: number) {
    const claim = await store.claimNode(runId, id, `${id}:0`, at);
    expect(claim).toMatchObject({ claimed: true });
    return store.completeNode(runId, id, out(`r-${id}`, at));
  }
  const snap = async (runId: string) => {
    const s = await store.readSnapshot(runId);
    if (!s) throw new Error(`no run ${runId}`);
    return s;
  };
  const action = { now: 100, generation: 100, activeTtlSeconds: 600 };

  it("a failure runs the compensations of the done nodes in reverse topological order, then ends failed", async () => {
    const { runId } = await start({ a: [[], true], b: [["a"], false], c: [["b"], true], d: [["c"], false] });
    await run(runId, "a", 2);
    await run(runId, "b", 3);
    await run(runId, "c", 4);
    await store.claimNode(runId, "d", "d:0", 5);
    const failed = await store.failNode(runId, "d", "boom", 6);
    // the run compensates (stored status stays running): c's compensation first, a's waits for it
    expect(failed).toMatchObject({ applied: true, runStatus: "running", dispatch: ["c~compensate"] });
    let s = await snap(runId);
    expect(s.meta).toMatchObject({ status: "running", compensation: "running", finalStatus: "failed" });
    expect(s.meta.compensationReason).toBe("d: boom");
    expect(s.status).toMatchObject({ "a~compensate": "pending", "c~compensate": "queued" });
    // a regular node is not claimed any more; the compensation is, and reads its node's output
    expect(await store.claimNode(runId, "d", "d:1", 7)).toMatchObject({ claimed: false });
    const claim = await store.claimNode(runId, "c~compensate", "cc:0", 7, ["c"]);
    expect(claim).toEqual({ claimed: true, attempt: 1, refs: { c: "r-c" } });
    // a cancel while compensating changes nothing
    expect(await store.cancelRun(runId, 8)).toEqual({ outcome: "finished", status: "compensating" });
    const first = await store.completeNode(runId, "c~compensate", out("r-cc", 8));
    expect(first).toMatchObject({ applied: true, runStatus: "running", dispatch: ["a~compensate"] });
    expect(await run(runId, "a~compensate", 9)).toMatchObject({ applied: true, runStatus: "failed" });
    s = await snap(runId);
    expect(s.meta).toMatchObject({ status: "failed", compensation: "completed", finishedAt: "9" });
    expect(s.output).toMatchObject({ "a~compensate": "r-a~compensate", "c~compensate": "r-cc" });
    // a compensated run is not resumed
    expect(await store.retryRun(runId, action)).toMatchObject({ kind: "refused", reason: "compensated" });
    expect(await store.rerunFrom(runId, "d", action)).toMatchObject({ kind: "refused", reason: "compensated" });
  });

  it("a cancel runs the compensations of the done nodes; those of unfinished nodes are skipped", async () => {
    const { runId } = await start({ a: [[], true], b: [["a"], true], c: [["a"], false] });
    await run(runId, "a", 2);
    await store.claimNode(runId, "b", "b:0", 3); // b's call is in flight
    const cancelled = await store.cancelRun(runId, 10);
    expect(cancelled).toEqual({ outcome: "cancelled", nodes: 2, dispatch: ["a~compensate"], generation: 1 });
    const s = await snap(runId);
    expect(s.status).toMatchObject({
      b: "cancelled",
      c: "cancelled",
      "a~compensate": "queued",
      "b~compensate": "skipped",
    });
    expect(s.meta).toMatchObject({ compensationReason: "cancelled", finalStatus: "cancelled" });
    // cancel's refusal does not apply to compensations
    expect(await store.claimNode(runId, "a~compensate", "ac:0", 11, ["a"], 1)).toMatchObject({ claimed: true });
    // b's call ends late: its output is kept
    expect(await store.completeNode(runId, "b", out("r-b", 11))).toMatchObject({ applied: true });
    expect(await store.completeNode(runId, "a~compensate", out("r-ac", 12))).toMatchObject({ runStatus: "cancelled" });
    expect((await snap(runId)).meta).toMatchObject({ status: "cancelled", compensation: "completed" });
    expect((await snap(runId)).output).toMatchObject({ b: "r-b" });
    // the event log tells the same story: compensating, the skipped compensation, then the compensation's end
    const page = await store.readEvents(runId, undefined, 200);
    const kinds = (page?.events ?? []).map((e) => (e.node ? `${e.type}:${e.node}` : e.type));
    expect(kinds).toContain("skipped:b~compensate");
    const at = (k: string) => kinds.indexOf(k);
    expect(at("compensating")).toBeGreaterThan(at("cancel"));
    expect(at("done:a~compensate")).toBeGreaterThan(at("compensating"));
    expect(at("compensation-finished")).toBeGreaterThan(at("done:a~compensate"));
    expect(at("run-finished")).toBeGreaterThan(at("compensation-finished"));
  });

  it("a failed compensation is reported and does not block the others", async () => {
    const { runId } = await start({ a: [[], true], b: [["a"], true], c: [["b"], false] });
    await run(runId, "a", 2);
    await run(runId, "b", 3);
    await store.claimNode(runId, "c", "c:0", 4);
    expect(await store.failNode(runId, "c", "boom", 5)).toMatchObject({ dispatch: ["b~compensate"] });
    await store.claimNode(runId, "b~compensate", "bc:0", 6);
    // the workflow's policy does not apply to a compensation: it fails alone and releases a's
    const f = await store.failNode(runId, "b~compensate", "refund refused", 7, "bc:0", undefined, {
      policy: "fail-fast",
    });
    expect(f).toMatchObject({ applied: true, runStatus: "running", dispatch: ["a~compensate"], skipped: [] });
    expect(await run(runId, "a~compensate", 8)).toMatchObject({ runStatus: "failed" });
    const s = await snap(runId);
    expect(s.meta).toMatchObject({ status: "failed", compensation: "failed", compensationFailed: "1" });
    expect(s.error["b~compensate"]).toBe("refund refused");
    expect(s.status).toMatchObject({ "a~compensate": "done", "b~compensate": "failed" });
  });

  it("orders through a tolerated failure, and a run with no done compensable node ends at once", async () => {
    const { runId } = await start({ a: [[], true], y: [["a"], true, "continue"], z: [["y"], true], w: [["z"], false] });
    await run(runId, "a", 2);
    await store.claimNode(runId, "y", "y:0", 3);
    await store.failNode(runId, "y", "meh", 4, undefined, undefined, { policy: "continue", markerRef: "m" });
    await run(runId, "z", 5);
    await store.claimNode(runId, "w", "w:0", 6);
    // z's compensation goes first; y's is skipped (y did not finish); a's waits for z's, through y
    expect(await store.failNode(runId, "w", "boom", 7)).toMatchObject({ dispatch: ["z~compensate"] });
    expect((await snap(runId)).status).toMatchObject({ "y~compensate": "skipped", "a~compensate": "pending" });
    expect(await run(runId, "z~compensate", 8)).toMatchObject({ dispatch: ["a~compensate"] });

    const other = await start({ p: [[], true], q: [[], false] });
    await store.claimNode(other.runId, "p", "p:0", 2);
    await store.failNode(other.runId, "p", "no", 3);
    await store.claimNode(other.runId, "q", "q:0", 2);
    expect(await store.failNode(other.runId, "q", "no", 4)).toMatchObject({ runStatus: "failed", dispatch: [] });
    const s = await snap(other.runId);
    expect(s.meta.compensation).toBeUndefined();
    expect(s.status["p~compensate"]).toBeUndefined();
  });
});
