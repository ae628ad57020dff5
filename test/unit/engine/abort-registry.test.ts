import { describe, expect, it } from "vitest";
import { ABORT_POLL_MS, abortRun, holdRunAbort } from "../../../shared/engine/abort-registry.js";

describe("abort registry", () => {
  it("a cancel aborts the deliveries of the try it cancelled, not those of a later retry", async () => {
    const runId = `run_abort_${Math.random().toString(36).slice(2)}`;
    const before = holdRunAbort(runId, { generation: 1_000 });
    abortRun(runId, 5_000);
    await new Promise((r) => setTimeout(r, 3 * ABORT_POLL_MS)); // a held delivery sees the mark at its next look
    expect(before.signal.aborted).toBe(true);
    // a delivery of the same try, or one that names no generation, starting after the cancel aborts at once
    expect(holdRunAbort(runId, { generation: 1_000 }).signal.aborted).toBe(true);
    expect(holdRunAbort(runId).signal.aborted).toBe(true);
    // the retry's deliveries carry its generation (its time, after the cancel): they run
    const retried = holdRunAbort(runId, { generation: 6_000 });
    expect(retried.signal.aborted).toBe(false);
    for (const h of [before, retried]) h.release();
  });
});
