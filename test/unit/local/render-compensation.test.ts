import { describe, expect, it } from "vitest";
import { renderRun } from "../../../local/render";
import { runningView } from "./fixtures";

describe("renderRun with compensation", () => {
  it("shows the run's compensation state and one line per compensation with its error or excerpt", () => {
    const view = runningView({
      status: "failed",
      compensation: {
        status: "failed",
        runStatus: "failed",
        reason: "c: boom",
        startedAt: null,
        finishedAt: null,
        nodes: [
          {
            id: "b~compensate",
            node: "b",
            status: "failed",
            attempts: 3,
            startedAt: null,
            finishedAt: null,
            error: "refund\nrefused",
            excerpt: null,
            usage: null,
            costUsd: null,
            paidCalls: [],
          },
          {
            id: "a~compensate",
            node: "a",
            status: "done",
            attempts: 1,
            startedAt: null,
            finishedAt: null,
            error: null,
            excerpt: "undone",
            usage: null,
            costUsd: null,
            paidCalls: [],
          },
        ],
      },
    });
    const lines = renderRun(view, { width: 200, color: false, now: Date.now() }).split("\n");
    const i = lines.indexOf("Compensation: failed (the run failed: c: boom)");
    expect(i).toBeGreaterThan(0);
    expect(lines[i + 1]).toBe("  b~compensate  failed  ×3  refund refused");
    expect(lines[i + 2]).toBe("  a~compensate  done  ×1  undone");
    expect(renderRun(runningView(), { width: 200, color: false, now: Date.now() })).not.toContain("Compensation");
  });
});
