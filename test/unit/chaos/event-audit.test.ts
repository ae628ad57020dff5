import { describe, expect, it } from "vitest";
import type { ChaosRunSpec } from "../../../local/chaos/dag-generator.js";
import { auditEvents, eventFigures, eventsClean } from "../../../local/chaos/event-audit.js";
import type { RunEventBody } from "../../../shared/state/run-events.js";

const spec = {
  tag: "s1-r0",
  shape: "deep",
  nodes: [
    { id: "a", dependsOn: [] },
    { id: "b", dependsOn: ["a"] },
  ],
  budgetTokens: null,
  body: { workflow: {}, input: {} },
} as ChaosRunSpec;

let seq = 0;
const e = (type: string, node = "", fields: Record<string, unknown> = {}): RunEventBody => ({
  id: `1-${seq++}`,
  type,
  ...(node ? { node } : {}),
  ...fields,
});
const viewOf = (status: string, a: string, b: string) => ({
  status,
  levels: [
    { level: 1, title: "", nodes: [{ id: "a", status: a }] },
    { level: 2, title: "", nodes: [{ id: "b", status: b }] },
  ],
});
const clean = [
  e("run-started"),
  e("queued", "a"),
  e("started", "a"),
  e("done", "a"),
  e("queued", "b"),
  e("started", "b"),
  e("done", "b"),
  e("run-finished", "", { status: "completed" }),
];
const audit = (events: RunEventBody[], view = viewOf("completed", "done", "done"), finished = true) =>
  auditEvents(spec, "run_x", { events, finished, error: null }, view as never);

describe("auditEvents", () => {
  it("passes a clean log whose last state is the view", () => {
    const a = audit(clean);
    expect(a).toMatchObject({ terminal: [], order: [], state: [], events: 8 });
    expect(eventsClean(eventFigures([a]))).toBe(true);
  });

  it("finds a second terminal event, a missing one, a node started before its dependency was done, and a state differing from the view", () => {
    const dup = [...clean.slice(0, 7), e("done", "b"), clean[7] as RunEventBody];
    expect(audit(dup).terminal).toEqual(["b: done then done in one try"]);
    const missing = clean.filter((x) => !(x.type === "done" && x.node === "b"));
    expect(audit(missing, viewOf("completed", "done", "running")).terminal).toEqual([
      "b: no terminal event in a finished run",
    ]);
    const early = [clean[0], clean[1], clean[2], e("started", "b"), ...clean.slice(3)] as RunEventBody[];
    expect(audit(early).order).toEqual(["started b before a was done"]);
    expect(audit(clean, viewOf("failed", "done", "failed")).state).toEqual([
      "run: log completed, view failed",
      "b: log done, view failed",
    ]);
    expect(eventsClean(eventFigures([audit(dup)]))).toBe(false);
  });

  it("accepts a done after cancelled (a call running at the cancel) and a new try after a retry", () => {
    const events = [
      ...clean.slice(0, 3),
      e("cancel"),
      e("cancelled", "a"),
      e("cancelled", "b"),
      e("run-finished", "", { status: "cancelled" }),
      e("done", "a"),
      e("retry", "", { try: 2, nodes: ["b"] }),
      e("queued", "b"),
      e("started", "b"),
      e("done", "b"),
      e("run-finished", "", { status: "completed" }),
    ];
    expect(audit(events)).toMatchObject({ terminal: [], order: [], state: [] });
  });

  it("does not judge a log not read to its end for missing terminal events or against the view", () => {
    const a = audit(clean.slice(0, 4), viewOf("running", "done", "queued"), false);
    expect(a).toMatchObject({ terminal: [], state: [] });
  });
});
