import { describe, expect, it } from "vitest";
import { loadRun, RUN_CACHE_BYTES, runCacheUsage } from "../../../shared/engine/run-cache.js";
import { workflowDefinitionSchema } from "../../../shared/schema/workflow.js";
import type { RunStore } from "../../../shared/state/run-store.js";
import type { FrozenRun } from "../../../shared/state/run-types.js";

/** A run started with a trigger body near 1 MiB: five nodes with 190,000-character prompts. */
const bigWorkflow = workflowDefinitionSchema.parse({
  name: "w",
  nodes: Array.from({ length: 5 }, (_, i) => ({ id: `n${i}`, prompt: `${i}`.repeat(190_000) })),
});

const frozenOf = (runId: string): FrozenRun => ({
  runId,
  tenant: "t",
  workflow: bigWorkflow,
  inputRef: "0".repeat(64),
  budget: null,
  simulate: null,
  baseUrl: "http://localhost",
  trigger: "api",
  createdAt: 0,
});

/** A store that counts the frozen definitions it is asked for (a read means the cache missed). */
function countingStore(): { store: RunStore; reads: string[] } {
  const reads: string[] = [];
  const store = {
    readFrozen: async (runId: string) => {
      reads.push(runId);
      return frozenOf(runId);
    },
  } as unknown as RunStore;
  return { store, reads };
}

const id = (i: number) => `run_${String(i).padStart(26, "0")}`;

describe("run cache bounded by bytes (DoS)", () => {
  it("40 runs of ~2 MB each stay within RUN_CACHE_BYTES; the least recently used are evicted first", async () => {
    const { store, reads } = countingStore();
    for (let i = 0; i < 6; i++) await loadRun(store, id(i));
    // run 0 is used again (a hit: no read), so it is now the most recently used
    await loadRun(store, id(0));
    expect(reads.filter((r) => r === id(0))).toHaveLength(1);
    for (let i = 6; i < 40; i++) {
      await loadRun(store, id(i));
      expect(runCacheUsage().bytes).toBeLessThanOrEqual(RUN_CACHE_BYTES);
    }
    const { runs, bytes } = runCacheUsage();
    // each run counts at least its definition's 950,000 characters twice
    expect(bytes).toBeGreaterThanOrEqual(runs * 1_900_000);
    expect(runs).toBeLessThan(40);
    expect(runs).toBeGreaterThan(0);
    // the last run loaded is still cached, the first ones were evicted and are read again
    reads.length = 0;
    await loadRun(store, id(39));
    expect(reads).toEqual([]);
    await loadRun(store, id(1));
    expect(reads).toEqual([id(1)]);
  });

  it("a recently used run outlives runs loaded before it", async () => {
    const { store, reads } = countingStore();
    const perRun = 2 * JSON.stringify(frozenOf(id(100))).length;
    const fit = Math.floor(RUN_CACHE_BYTES / perRun);
    for (let i = 100; i < 100 + fit; i++) await loadRun(store, id(i));
    await loadRun(store, id(100)); // touched: most recently used
    await loadRun(store, id(100 + fit)); // one more: evicts the least recently used, which is now 101
    reads.length = 0;
    await loadRun(store, id(100));
    expect(reads).toEqual([]);
    await loadRun(store, id(101));
    expect(reads).toEqual([id(101)]);
  });
});
