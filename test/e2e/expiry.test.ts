import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

/** The retention these tests run under, s: far shorter than the run. */
const RETENTION_SECONDS = 2;

/**
 * A run that lives longer than RUN_RETENTION_SECONDS completes with every output: nothing it needs (its input, the
 * outputs its later nodes read, its keys) expires while it is running, and what it wrote is kept the retention after
 * its end. No sweeper runs here: the run must not depend on a look coming before a blob's write TTL runs out.
 */
describe("expiry: a run longer than its retention", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ vars: { RUN_RETENTION_SECONDS: String(RETENTION_SECONDS) } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("expiry: completes with all outputs although its input and first output were written > retention before they are read", async () => {
    const t0 = Date.now();
    const started = await h.client.start({
      workflow: workflow([
        node("early", [], { prompt: "Note {{input.topic}}." }),
        // a slow node keeps the run going past the retention
        node("slow", [], { simulate: { latencyMs: (RETENTION_SECONDS + 1.5) * 1000 } }),
        node("late", ["early", "slow"], { prompt: "Join {{nodes.early.output}} and {{input.topic}}." }),
      ]),
      input: { topic: "retention" },
    });
    const view = await h.waitForRun(started.runId, 60_000);
    const out = await h.client.output(started.runId);
    expect(view.status).toBe("completed");
    // the precondition, not a performance figure: the run outlived its retention
    expect(Date.now() - t0).toBeGreaterThan(RETENTION_SECONDS * 1000);
    expect(view.levels.flatMap((l) => l.nodes.map((n) => `${n.id}:${n.status}`)).sort()).toEqual([
      "early:done",
      "late:done",
      "slow:done",
    ]);
    // the sink's output (null once its blob has expired) is there after the end
    expect(Object.keys(out.outputs)).toEqual(["late"]);
    expect(out.outputs.late?.length ?? 0).toBeGreaterThan(0);
  });
});
