import { describe, expect, it } from "vitest";
import { hopOverheads, inNodeOverheads } from "../../../local/bench/hop-overhead.js";

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const node = (id: string, start: number | null, finish: number | null) => ({
  id,
  startedAt: start === null ? null : at(start),
  finishedAt: finish === null ? null : at(finish),
});

describe("hopOverheads", () => {
  const deps = { a: [], b: [], c: ["a", "b", "a"] };

  it("measures roots from the run start and other nodes from their last dependency's finish", () => {
    const view = {
      startedAt: at(0),
      levels: [{ nodes: [node("a", 12, 100), node("b", 15, 300)] }, { nodes: [node("c", 340, 400)] }],
    };
    const h = hopOverheads(view, deps);
    expect(h.hops).toEqual([
      { id: "a", root: true, waitMs: 12 },
      { id: "b", root: true, waitMs: 15 },
      { id: "c", root: false, waitMs: 40 },
    ]);
    expect(h.dependent).toMatchObject({ count: 1, p50: 40, max: 40 });
    expect(h.all).toMatchObject({ count: 3, max: 40 });
    expect(h.missing).toEqual([]);
  });

  it("lists nodes that never started, or whose dependencies never finished, as missing", () => {
    const view = {
      startedAt: at(0),
      levels: [{ nodes: [node("a", 5, null), node("b", 5, 10)] }, { nodes: [node("c", null, null)] }],
    };
    const h = hopOverheads(view, deps);
    expect(h.missing).toEqual(["c"]);
    expect(h.all.count).toBe(2);
  });

  it("rejects a view with an invalid time", () => {
    expect(() => hopOverheads({ startedAt: "yesterday", levels: [] }, {})).toThrow(RangeError);
  });
});

describe("inNodeOverheads", () => {
  it("subtracts each done node's simulated latency from its measured duration", () => {
    const view = {
      startedAt: at(0),
      levels: [
        {
          nodes: [
            { ...node("a", 0, 120), durationMs: 120 },
            { ...node("b", 0, null), durationMs: null },
            { ...node("x", 0, 9), durationMs: 9 },
          ],
        },
      ],
    };
    expect(inNodeOverheads(view, { a: 100, b: 50 })).toEqual([20]);
  });
});
