import { describe, expect, it } from "vitest";
import { ancestorsOf, isAncestor } from "../../../shared/dag/ancestors.js";
import { compileDag, criticalPathOf, DagError } from "../../../shared/dag/compile.js";
import { analyzeGraph } from "../../../shared/dag/graph.js";
import type { DagNodeInput } from "../../../shared/dag/types.js";

/** Builds nodes from an id -> dependsOn map; weights (ms) from an optional map. */
function dag(spec: Record<string, string[]>, weights: Record<string, number> = {}): DagNodeInput[] {
  return Object.entries(spec).map(([id, dependsOn]) => ({
    id,
    dependsOn,
    ...(Object.hasOwn(weights, id) ? { weightMs: weights[id] } : {}),
  }));
}

const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe("compileDag on hand-made DAGs", () => {
  it("diamond", () => {
    const d = compileDag(dag({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] }));
    expect(d.order).toEqual(["a", "b", "c", "d"]);
    expect(d.levels).toEqual([["a"], ["b", "c"], ["d"]]);
    expect(plain(d.levelOf)).toEqual({ a: 1, b: 2, c: 2, d: 3 });
    expect(plain(d.dependents)).toEqual({ a: ["b", "c"], b: ["d"], c: ["d"], d: [] });
    expect(plain(d.pendingCounts)).toEqual({ a: 0, b: 1, c: 1, d: 2 });
    expect(d.roots).toEqual(["a"]);
    expect(d.sinks).toEqual(["d"]);
    expect(d.criticalPath).toEqual({ nodes: ["a", "b", "d"], weightMs: 3 });
    expect(plain(d.remainingPathMs)).toEqual({ a: 3, b: 2, c: 2, d: 1 });
    expect(d.totalWeightMs).toBe(4);
    expect(d.estimatedParallelism).toBeCloseTo(4 / 3);
    expect(d.maxWidth).toBe(2);
    expect(d.edgeCount).toBe(4);
  });

  it("chain", () => {
    const d = compileDag(dag({ c: ["b"], b: ["a"], a: [] }, { a: 10, b: 20, c: 30 }));
    expect(d.order).toEqual(["a", "b", "c"]);
    expect(d.levels).toEqual([["a"], ["b"], ["c"]]);
    expect(d.criticalPath).toEqual({ nodes: ["a", "b", "c"], weightMs: 60 });
    expect(plain(d.remainingPathMs)).toEqual({ a: 60, b: 50, c: 30 });
    expect(d.estimatedParallelism).toBe(1);
    expect(d.maxWidth).toBe(1);
  });

  it("fan-out / fan-in with a long branch and a shortcut edge", () => {
    // root -> x1..x3 -> join, plus root -> join directly and x2 -> y -> join.
    const d = compileDag(
      dag(
        { root: [], x1: ["root"], x2: ["root"], x3: ["root"], y: ["x2"], join: ["x1", "x2", "x3", "y", "root"] },
        { root: 5, x1: 100, x2: 10, x3: 1, y: 95, join: 1 },
      ),
    );
    expect(d.levels).toEqual([["root"], ["x1", "x2", "x3"], ["y"], ["join"]]);
    expect(d.levelOf.join).toBe(4); // longest path from the root, not the shortcut edge
    expect(d.pendingCounts.join).toBe(5);
    expect(d.dependents.root).toEqual(["x1", "x2", "x3", "join"]);
    // x2 -> y (10 + 95 = 105) beats x1 (100).
    expect(d.criticalPath).toEqual({ nodes: ["root", "x2", "y", "join"], weightMs: 111 });
    expect(d.remainingPathMs.x1).toBe(101);
    expect(d.remainingPathMs.x2).toBe(106);
    expect(d.totalWeightMs).toBe(212);
    expect(d.maxWidth).toBe(3);
  });

  it("disconnected components", () => {
    const d = compileDag(dag({ a: [], b: ["a"], p: [], q: ["p"], r: ["q"], lone: [] }));
    expect(d.roots).toEqual(["a", "p", "lone"]);
    expect(d.sinks).toEqual(["b", "r", "lone"]);
    expect(d.levels).toEqual([["a", "p", "lone"], ["b", "q"], ["r"]]);
    expect(d.criticalPath).toEqual({ nodes: ["p", "q", "r"], weightMs: 3 });
    expect(d.estimatedParallelism).toBe(2);
  });

  it("collapses duplicate dependencies", () => {
    const d = compileDag(dag({ a: [], b: ["a", "a", "a"] }));
    expect(d.pendingCounts.b).toBe(1);
    expect(d.dependents.a).toEqual(["b"]);
    expect(d.dependencies.b).toEqual(["a"]);
    expect(d.edgeCount).toBe(1);
  });

  it("handles ids that are Object.prototype keys", () => {
    const d = compileDag(dag({ constructor: [], __proto__x: ["constructor"], toString: ["constructor"] }));
    expect(d.pendingCounts.constructor).toBe(0);
    expect(d.dependents.constructor).toEqual(["__proto__x", "toString"]);
    const p = compileDag([
      { id: "__proto__", dependsOn: [] },
      { id: "b", dependsOn: ["__proto__"] },
    ]);
    expect(p.dependents["__proto__"]).toEqual(["b"]);
    expect(Object.keys(p.levelOf)).toEqual(["__proto__", "b"]);
  });

  it("treats zero weights as zero and an empty list as empty", () => {
    const d = compileDag(dag({ a: [], b: ["a"] }, { a: 0, b: 0 }));
    expect(d.criticalPath).toEqual({ nodes: ["a", "b"], weightMs: 0 });
    expect(d.estimatedParallelism).toBe(1);
    const e = compileDag([]);
    expect(e.levels).toEqual([]);
    expect(e.criticalPath).toEqual({ nodes: [], weightMs: 0 });
    expect(e.maxWidth).toBe(0);
  });

  it("rejects invalid weights", () => {
    expect(() => compileDag([{ id: "a", dependsOn: [], weightMs: -1 }])).toThrow(RangeError);
    expect(() => compileDag([{ id: "a", dependsOn: [], weightMs: Number.NaN }])).toThrow(RangeError);
  });
});

describe("compileDag errors", () => {
  function thrown(nodes: DagNodeInput[]): DagError {
    try {
      compileDag(nodes);
    } catch (e) {
      if (e instanceof DagError) return e;
      throw e;
    }
    throw new Error("compileDag did not throw");
  }

  it.each([
    ["duplicate-id", dag({ a: [] }).concat({ id: "a", dependsOn: [] }), "a", undefined],
    ["unknown-dependency", dag({ a: [], b: ["a", "zz"] }), "b", undefined],
    ["self-dependency", dag({ a: [], b: ["b"] }), "b", undefined],
    ["cycle", dag({ a: ["b"], b: ["c"], c: ["a"] }), "a", ["a", "b", "c", "a"]],
    ["cycle", dag({ root: [], x: ["root", "y"], y: ["x"] }), "x", ["x", "y", "x"]],
  ] as const)("%s", (code, nodes, node, path) => {
    const e = thrown([...nodes]);
    expect(e.name).toBe("DagError");
    expect(e.code).toBe(code);
    expect(e.node).toBe(node);
    expect(e.path).toEqual(path);
  });

  it("describes the cycle in the message", () => {
    expect(thrown(dag({ a: ["b"], b: ["a"] })).message).toContain("a -> b -> a");
  });

  it("gives the cycle in dependsOn direction, starting at the earliest node, shortest through it", () => {
    // p depends on q, q on r and on p (a 2-cycle and a 3-cycle through p): the shortest is p -> q -> p.
    const e = thrown(dag({ p: ["q"], q: ["r", "p"], r: ["p"] }));
    expect(e.path).toEqual(["p", "q", "p"]);
    for (let k = 0; k + 1 < e.path!.length; k++) {
      const from = e.path![k]!;
      expect({ p: ["q"], q: ["r", "p"], r: ["p"] }[from]).toContain(e.path![k + 1]);
    }
  });
});

describe("analyzeGraph collects every problem", () => {
  it("reports duplicates, unknown and self deps and each cycle once", () => {
    const { issues } = analyzeGraph([
      { id: "a", dependsOn: ["b"] },
      { id: "b", dependsOn: ["a"] },
      { id: "c", dependsOn: ["c", "nope"] },
      { id: "a", dependsOn: [] },
      { id: "x", dependsOn: ["z"] },
      { id: "y", dependsOn: ["x"] },
      { id: "z", dependsOn: ["y"] },
      { id: "after", dependsOn: ["z"] }, // blocked by a cycle but not on one: not reported
    ]);
    expect(issues.map((i) => [i.code, i.node, i.index, i.dependencyIndex])).toEqual([
      ["duplicate-id", "a", 3, undefined],
      ["self-dependency", "c", 2, 0],
      ["unknown-dependency", "c", 2, 1],
      ["cycle", "a", 0, 0],
      ["cycle", "x", 4, 0],
    ]);
    expect(issues.filter((i) => i.code === "cycle").map((i) => i.path)).toEqual([
      ["a", "b", "a"],
      ["x", "z", "y", "x"],
    ]);
  });
});

describe("ancestors", () => {
  const d = compileDag(dag({ a: [], b: ["a"], c: ["b"], d: [], e: ["c", "d"] }));

  it("answers transitive ancestry", () => {
    expect(isAncestor(d, "a", "e")).toBe(true);
    expect(isAncestor(d, "d", "e")).toBe(true);
    expect(isAncestor(d, "e", "a")).toBe(false);
    expect(isAncestor(d, "d", "c")).toBe(false);
    expect(isAncestor(d, "c", "c")).toBe(false);
    expect(isAncestor(d, "nope", "c")).toBe(false);
  });

  it("lists ancestors in topological order", () => {
    expect(ancestorsOf(d, "e")).toEqual(["a", "d", "b", "c"]);
    expect(ancestorsOf(d, "a")).toEqual([]);
    expect(() => ancestorsOf(d, "nope")).toThrow(RangeError);
  });

  it("is right past 32 nodes (several bitset words)", () => {
    const chain = Array.from({ length: 70 }, (_, i) => ({ id: `n${i}`, dependsOn: i === 0 ? [] : [`n${i - 1}`] }));
    const c = compileDag(chain);
    expect(isAncestor(c, "n0", "n69")).toBe(true);
    expect(isAncestor(c, "n40", "n39")).toBe(false);
    expect(ancestorsOf(c, "n69")).toHaveLength(69);
  });
});

describe("criticalPathOf", () => {
  const d = compileDag(dag({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] }, { a: 10, b: 10, c: 10, d: 10 }));

  it("recomputes from measured durations", () => {
    expect(criticalPathOf(d, { a: 100, b: 50, c: 300, d: 1 })).toEqual({ nodes: ["a", "c", "d"], weightMs: 401 });
  });

  it("falls back to compiled weights for nodes without a duration", () => {
    expect(criticalPathOf(d, { b: 500 })).toEqual({ nodes: ["a", "b", "d"], weightMs: 520 });
  });

  it("rejects negative durations", () => {
    expect(() => criticalPathOf(d, { a: -5 })).toThrow(RangeError);
  });
});
