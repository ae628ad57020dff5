import { describe, expect, it } from "vitest";
import { buildWaitView } from "../../../shared/progress/wait-view.js";

/** What the run view shows of a wait node, from the run's meta fields (park-store.ts), for the current try only. */
describe("buildWaitView", () => {
  const deadline = Date.UTC(2026, 11, 7, 12, 0, 0);
  const at = Date.UTC(2026, 11, 7, 11, 0, 0);

  it("shows nothing before the node first waited", () => {
    expect(buildWaitView({}, "approve", 5)).toEqual({ question: null, deadline: null, signal: null, asked: null });
  });

  it("shows the question and deadline while it waits, then the signal that decided it", () => {
    const meta = { "parked:approve": `5|${deadline}`, "parkNote:approve": "Ship it?" };
    expect(buildWaitView(meta, "approve", 5)).toEqual({
      question: "Ship it?",
      deadline: "2026-12-07T12:00:00.000Z",
      signal: null,
      asked: true,
    });
    const decided = { ...meta, "resolved:approve": `5|failed|timeout|${at}|timeout||` };
    expect(buildWaitView(decided, "approve", 5).signal).toEqual({
      approved: false,
      source: "timeout",
      at: "2026-12-07T11:00:00.000Z",
    });
  });

  it("does not show an earlier try's deadline or decision after a retry", () => {
    const meta = {
      "parked:approve": `5|${deadline}`,
      "parkNote:approve": "Ship it?",
      "resolved:approve": `5|done|signal|${at}|f|r|k`,
    };
    expect(buildWaitView(meta, "approve", 9)).toEqual({
      question: "Ship it?",
      deadline: null,
      signal: null,
      asked: null,
    });
  });

  it("shows a node its wait.when let through as not asked, approved by its condition", () => {
    const meta = { "resolved:approve": `5|done|condition|${at}|condition|blob-ref|` };
    expect(buildWaitView(meta, "approve", 5)).toEqual({
      question: null,
      deadline: null,
      signal: { approved: true, source: "condition", at: "2026-12-07T11:00:00.000Z" },
      asked: false,
    });
    // a retry's new try has not decided it yet
    expect(buildWaitView(meta, "approve", 9).asked).toBeNull();
  });
});
