import { describe, expect, it } from "vitest";
import { BUNDLE_MIN, bundleColumns, bundleKey, layoutDag, NODE_SIZE } from "../../../dashboard/src/layout.js";
import { readWorkload } from "../../support/workloads.js";

/** Nodes with their 1-based level (1 + the largest level of their dependencies), from `[id, deps]` pairs. */
function leveled(pairs: [string, string[]][]) {
  const level = new Map<string, number>();
  return pairs.map(([id, deps]) => {
    const l = 1 + Math.max(0, ...deps.map((d) => level.get(d) ?? 0));
    level.set(id, l);
    return { id, level: l, dependsOn: deps };
  });
}

const REVIEW_ALL = leveled([
  ["analyzer", []],
  ...["r1", "r2", "r3", "r4", "r5"].map((r): [string, string[]] => [r, ["analyzer"]]),
  ["senior", ["r1", "r2", "r3", "r4", "r5"]],
]);

describe("layoutDag", () => {
  it("puts level k in column k, left to right, one box per node when nothing is bundled", () => {
    const l = layoutDag(REVIEW_ALL);
    expect(l.items).toHaveLength(7);
    expect(l.items.every((i) => !i.bundle && i.w === NODE_SIZE.w)).toBe(true);
    const x = (id: string) => l.nodes.get(id)?.x as number;
    expect(new Set(["r1", "r2", "r3", "r4", "r5"].map(x)).size).toBe(1);
    expect(x("analyzer")).toBeLessThan(x("r1"));
    expect(x("r1")).toBeLessThan(x("senior"));
    expect(l.edges).toHaveLength(10);
    for (const e of l.edges) {
      const from = l.nodes.get(e.from) as { x: number };
      const to = l.nodes.get(e.to) as { x: number };
      expect(from.x).toBeLessThan(to.x); // drawn dependency -> dependent
      expect((e.points.at(-1) as { x: number }).x).toBeGreaterThan((e.points[0] as { x: number }).x);
    }
  });

  it("keeps a root in level 1 even when its only dependent is deep (levels, not dagre's own ranks)", () => {
    const l = layoutDag(
      leveled([
        ["a", []],
        ["b", ["a"]],
        ["c", ["b"]],
        ["late-root", []],
        ["d", ["c", "late-root"]],
      ]),
    );
    expect(l.nodes.get("late-root")?.x).toBe(l.nodes.get("a")?.x);
  });

  it("bundles a large group of interchangeable nodes into one grid, each member with its own cell", () => {
    const n = BUNDLE_MIN + 3;
    const mids = Array.from({ length: n }, (_, i): [string, string[]] => [`m${i}`, ["root"]]);
    const l = layoutDag(leveled([["root", []], ...mids, ["sink", mids.map(([id]) => id)]]));
    expect(l.items.map((i) => i.bundle)).toEqual([false, true, false]);
    expect(l.edges.map((e) => [e.from, e.to])).toEqual([
      ["root", "bundle:m0"],
      ["bundle:m0", "sink"],
    ]);
    const cells = mids.map(([id]) => l.nodes.get(id));
    expect(new Set(cells.map((c) => `${c?.x},${c?.y}`)).size).toBe(n); // no two cells overlap
    expect(l.itemOf.get("m7")).toBe("bundle:m0");
  });

  it("does not bundle a group smaller than BUNDLE_MIN", () => {
    const mids = Array.from({ length: BUNDLE_MIN - 1 }, (_, i): [string, string[]] => [`m${i}`, ["root"]]);
    expect(layoutDag(leveled([["root", []], ...mids])).items.some((i) => i.bundle)).toBe(false);
  });

  it("lays out the 1,004-node bwa workload as 5 items and 4 edges, quickly", () => {
    const tasks = readWorkload("bwa-chameleon-large-001");
    const nodes = leveled(tasks.map((t): [string, string[]] => [t.id, [...new Set(t.deps)]]));
    const t0 = performance.now();
    const l = layoutDag(nodes);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(l.nodes.size).toBe(1004);
    expect(l.items).toHaveLength(5);
    expect(l.edges).toHaveLength(4);
  });

  it("throws on a dependency outside the list", () => {
    expect(() => layoutDag([{ id: "a", level: 2, dependsOn: ["ghost"] }])).toThrow(/unknown node "ghost"/);
  });
});

describe("bundle helpers", () => {
  it("keys by level, dependencies and dependents in any order", () => {
    expect(bundleKey({ id: "x", level: 2, dependsOn: ["b", "a", "a"] }, ["z", "y"])).toBe("2|a,b|y,z");
  });

  it("makes grids about twice as tall as wide", () => {
    expect(bundleColumns(1)).toBe(1);
    expect(bundleColumns(1000)).toBe(23);
    expect(Math.ceil(1000 / bundleColumns(1000))).toBe(44);
  });
});
