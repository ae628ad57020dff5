import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../shared/engine/engine.js";
import {
  startWithoutPublishing as startWithoutPublishingIn,
  sweepAfterGrace as sweepAfterGraceIn,
  sweeperEngine,
} from "../support/sweeper-runs.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node } from "../support/workflows.js";

/**
 * The sweeper treats a compensation like any node: a compensation whose publish was lost is re-offered and runs in
 * the worker (workerd, local stack, real Redis), and the run then ends with its compensation completed.
 */
describe("sweeper: a compensation whose publish was lost is healed", () => {
  let h: Harness;
  let engine: Engine;

  beforeAll(async () => {
    h = await startHarness({ vars: { SWEEPER_GRACE_SECONDS: "1" } });
    engine = sweeperEngine(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  const startWithoutPublishing = (nodes: unknown[], agoMs = 0) => startWithoutPublishingIn(engine, h.url, nodes, agoMs);
  const sweepAfterGrace = (runId: string) => sweepAfterGraceIn(engine, runId);

  it("re-offers a compensation left queued by a failure whose publish never happened", async () => {
    const runId = await startWithoutPublishing([
      node("a", [], { compensate: { prompt: "Undo a: {{nodes.a.output}} ({{run.status}})" } }),
      node("b", ["a"]),
    ]);
    // a runs, b fails for good, and the transitions' publishes never happen (this process publishes nothing)
    await engine.store.claimNode(runId, "a", "a:0", Date.now());
    await engine.store.completeNode(runId, "a", {
      outputRef: await engine.blobs.put("the output of a", { ttlSeconds: 60 }),
      inputTokens: 0,
      outputTokens: 0,
      model: "m",
      excerpt: "a",
      startedAt: Date.now(),
      finishedAt: Date.now(),
    });
    await engine.store.claimNode(runId, "b", "b:0", Date.now());
    const failed = await engine.store.failNode(runId, "b", "boom", Date.now());
    expect(failed.dispatch).toEqual(["a~compensate"]);
    expect((await h.client.get(runId)).status).toBe("compensating");
    const { repairs } = await sweepAfterGrace(runId);
    expect(repairs).toEqual(["a~compensate:dependents-not-offered"]);
    const v = await h.waitForRun(runId, 30_000);
    expect(v.status).toBe("failed");
    expect(v.compensation).toMatchObject({ status: "completed", reason: "b: boom" });
    expect(v.compensation?.nodes[0]).toMatchObject({ id: "a~compensate", status: "done", attempts: 1 });
  });
});
