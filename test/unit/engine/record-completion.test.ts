import { describe, expect, it } from "vitest";
import type { PreparedBlob } from "../../../shared/blobs/blob-store.js";
import { recordCompletion } from "../../../shared/engine/advance.js";
import type { Engine } from "../../../shared/engine/engine.js";
import type { ExecuteResult } from "../../../shared/engine/execute-node.js";

/**
 * recordCompletion sends the output blob's writes in complete_node's request; when that request fails, complete_node
 * may still have recorded the ref (a pipeline does not stop at an error), so the blob is written again on its own
 * before the error goes up. Engine pieces are fakes that record what they were asked.
 */

const result: ExecuteResult = {
  runId: "run_0",
  nodeId: "a",
  ref: "f".repeat(64),
  usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
  costMicroUsd: 0,
  model: "sim-fast",
  route: { provider: "simulated", tier: "fast", reason: "test", source: "rules" },
  cache: null,
  startedAt: 1,
  finishedAt: 2,
  excerpt: "e",
  attempt: 1,
  simulated: true,
};

function fakeEngine(completeNode: (...args: unknown[]) => Promise<unknown>) {
  const writes: PreparedBlob[] = [];
  const calls: unknown[][] = [];
  const engine = {
    store: { completeNode: (...args: unknown[]) => (calls.push(args), completeNode(...args)) },
    blobs: { write: async (b: PreparedBlob) => void writes.push(b) },
  } as unknown as Engine;
  return { engine, writes, calls };
}

const queued: unknown[] = [];
const blob: PreparedBlob = { ref: result.ref, queueWrites: (p) => void queued.push(p) };

describe("recordCompletion", () => {
  it("passes the blob's writes to complete_node's request and writes nothing else when it succeeds", async () => {
    const done = { applied: true, runStatus: "running", dispatch: ["b"], skipped: [] };
    const { engine, writes, calls } = fakeEngine(async () => done);
    expect(await recordCompletion(engine, result, blob)).toEqual(done);
    expect(calls).toHaveLength(1);
    // the function complete_node's request runs first queues the blob's writes on that request's pipeline
    const pipeline = { name: "the request's pipeline" };
    (calls[0]![3] as { first: (p: unknown) => void }).first(pipeline);
    expect(queued.at(-1)).toBe(pipeline);
    expect(writes).toEqual([]);
  });

  it("when that request fails, writes the blob on its own, then throws the request's error", async () => {
    const { engine, writes } = fakeEngine(async () => {
      throw new Error("Command failed: OOM command not allowed");
    });
    await expect(recordCompletion(engine, result, blob)).rejects.toThrow(/OOM/);
    expect(writes).toEqual([blob]);
  });

  it("without a blob to write (a cache hit), sends complete_node alone", async () => {
    const { engine, calls } = fakeEngine(async () => ({
      applied: true,
      runStatus: "running",
      dispatch: [],
      skipped: [],
    }));
    await recordCompletion(engine, result, null);
    expect(calls[0]![3]).toStrictEqual({ chainLease: undefined, generation: undefined });
  });

  it("passes the delivery's lease on when the delivery may run the next node itself", async () => {
    const { engine, calls } = fakeEngine(async () => ({
      applied: true,
      runStatus: "running",
      dispatch: [],
      skipped: [],
      chained: null,
    }));
    await recordCompletion(engine, result, blob, "msg_1:0");
    expect(calls[0]![3]).toMatchObject({ chainLease: "msg_1:0" });
  });
});
