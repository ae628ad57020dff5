import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import type { WorkflowNode } from "../../../shared/schema/workflow.js";
import { RunStore } from "../../../shared/state/run-store.js";
import { startTestRun } from "../../support/state-runs.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

/**
 * expand_map (shared/state/lua/expand-map.ts) through the official client and the local Upstash REST server on both
 * backends: a held map node becomes children that run as ordinary nodes; a repeat changes nothing.
 */
describe.each(STORE_BACKENDS)("expand_map on $name", ({ memory }) => {
  const prefix = `test-expand-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack;
  let store: RunStore;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    store = new RunStore(storeRedis(stack), prefix);
  });
  afterAll(() => stopStoreBackend(stack, prefix));

  let seq = 0;
  /** Starts the run `src -> m (map) -> join`, concurrency 2; returns its id with `m` claimed (attempt 1). */
  async function startWithHeldMap(concurrency = 2): Promise<string> {
    const runId = `run_${(++seq).toString(16).padStart(26, "0")}`;
    const nodes = [
      { id: "src", agent: "a", prompt: "p", dependsOn: [], kind: "llm" },
      { id: "m", agent: "a", prompt: "{{item}}", dependsOn: ["src"], kind: "map", over: "{{input.xs}}" },
      { id: "join", agent: "a", prompt: "p", dependsOn: ["m"], kind: "llm" },
    ] as WorkflowNode[];
    await startTestRun(store, runId, nodes, { concurrency });
    await store.claimNode(runId, "src", "src:0", 2);
    await store.completeNode(runId, "src", {
      outputRef: "r",
      inputTokens: 0,
      outputTokens: 0,
      model: "m",
      excerpt: "",
      startedAt: 2,
      finishedAt: 3,
    });
    const claim = await store.claimNode(runId, "m", "m:0", 4);
    expect(claim).toMatchObject({ claimed: true, attempt: 1 });
    return runId;
  }

  const expand = (runId: string, over: Partial<Parameters<RunStore["expandMap"]>[2]> = {}) =>
    store.expandMap(runId, "m", {
      attempt: 1,
      now: 5,
      generation: 1,
      count: 3,
      itemsRef: "items",
      nodeLimit: 1000,
      ...over,
    });

  it("adds the children, frees the map's slot, takes what the slots allow, and a second call changes nothing", async () => {
    const runId = await startWithHeldMap(2);
    const first = await expand(runId);
    expect(first).toEqual({ outcome: "expanded", dispatch: expect.any(Array) });
    if (first.outcome !== "expanded") return;
    // concurrency 2 + prefetch 1 (a run without chains): three slots, the map's freed
    expect(first.dispatch.sort()).toEqual(["m[0]", "m[1]", "m[2]"]);
    const s1 = await store.readSnapshot(runId);
    expect(s1?.status).toMatchObject({ m: "pending", "m[0]": "queued", "m[1]": "queued", "m[2]": "queued" });
    const k = store.keys(runId);
    const raw = storeRedis(stack);
    expect(await raw.hmget(k.pending, "m", "m[0]")).toEqual(["3", "0"]);
    expect(await raw.hmget(k.dependents, "m[0]", "m[1]", "m[2]")).toEqual(["m", "m", "m"]);
    expect(s1?.meta).toMatchObject({ nodeCount: "6", inflight: "3", "map:m": "3|items|4" });
    expect(await raw.hget(k.lease, "m")).toBeNull();
    // the children are members of the map's level (open_levels releases them from there after a retry)
    expect(String(await raw.hget(k.levelNodes, "2")).split(",")).toEqual(["m", "m[0]", "m[1]", "m[2]"]);

    const again = await expand(runId);
    expect(again).toEqual({ outcome: "again", dispatch: expect.any(Array) });
    if (again.outcome === "again") expect(again.dispatch.sort()).toEqual(["m[0]", "m[1]", "m[2]"]);
    const s2 = await store.readSnapshot(runId);
    expect(s2?.meta).toEqual(s1?.meta);
    expect(s2?.status).toEqual(s1?.status);
    expect(await raw.hmget(k.pending, "m", "m[0]")).toEqual(["3", "0"]);
    const log = await store.readEvents(runId, undefined, 1000);
    expect(log?.events.filter((e) => e.type === "expanded")).toHaveLength(1);
  });

  it("releases the map when its last child completes, and refuses an expansion it does not hold", async () => {
    const runId = await startWithHeldMap(5);
    expect((await expand(runId, { attempt: 2 })).outcome).toBe("refused");
    await expand(runId, { count: 2 });
    for (const [i, id] of ["m[0]", "m[1]"].entries()) {
      await store.claimNode(runId, id, `${id}:0`, 10 + i);
      const t = await store.completeNode(runId, id, {
        outputRef: `r${i}`,
        inputTokens: 1,
        outputTokens: 1,
        model: "x",
        excerpt: "",
        startedAt: 10,
        finishedAt: 11,
      });
      expect(t.dispatch).toEqual(i === 1 ? ["m"] : []);
    }
    const s = await store.readSnapshot(runId);
    expect(s?.status.m).toBe("queued");
    expect(s?.meta).toMatchObject({ doneCount: "3", terminalCount: "3", nodeCount: "5" });
    // claimed again, the map is expanded: a repeat changes nothing
    await store.claimNode(runId, "m", "m2:0", 20);
    expect((await expand(runId, { attempt: 2 })).outcome).toBe("again");
  });

  it("answers a claimed child with its map's expansion (after its refs), and other nodes without one", async () => {
    const runId = await startWithHeldMap(5);
    await expand(runId, { count: 2, itemsRef: "items-ref" });
    const child = await store.claimNode(runId, "m[1]", "m[1]:0", 12, ["src"]);
    expect(child).toEqual({
      claimed: true,
      attempt: 1,
      refs: { src: "r" },
      mapExpansion: { count: 2, itemsRef: "items-ref", startedAt: 4 },
    });
    // a node that is no map child has no expansion to read: the map node itself included
    const other = `run_${(++seq).toString(16).padStart(26, "0")}`;
    await startTestRun(store, other, [
      { id: "m", agent: "a", prompt: "{{item}}", dependsOn: [], kind: "map", over: "{{input.xs}}" },
    ] as WorkflowNode[]);
    expect(await store.claimNode(other, "m", "m:0", 12)).toEqual({ claimed: true, attempt: 1, refs: {} });
  });

  it("refuses children beyond the run's node limit without changing anything", async () => {
    const runId = await startWithHeldMap();
    const r = await expand(runId, { count: 998, nodeLimit: 1000 });
    expect(r).toEqual({ outcome: "refused", reason: "node-limit", nodeCount: 3 });
    const s = await store.readSnapshot(runId);
    expect(s?.status.m).toBe("running");
    expect(s?.meta.nodeCount).toBe("3");
    expect(s?.meta["map:m"]).toBeUndefined();
  });

  it("a rerun from the map's upstream forgets its children, so the map expands again", async () => {
    const runId = await startWithHeldMap(5);
    await expand(runId, { count: 2 });
    await store.cancelRun(runId, 30);
    const r = await store.rerunFrom(runId, "src", { now: 40, generation: 40, activeTtlSeconds: 600 });
    expect(r).toMatchObject({ kind: "applied" });
    const s = await store.readSnapshot(runId);
    expect(Object.keys(s?.status ?? {}).sort()).toEqual(["join", "m", "src"]);
    expect(await storeRedis(stack).hget(store.keys(runId).levelNodes, "2")).toBe("m");
    expect(s?.meta.nodeCount).toBe("3");
    expect(s?.meta["map:m"]).toBeUndefined();
  });
});
