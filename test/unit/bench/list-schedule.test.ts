import { describe, expect, it } from "vitest";
import { levelBarrierSchedule } from "../../../local/bench/barrier-schedule.js";
import { workloadDag } from "../../../local/bench/dag.js";
import { listSchedule } from "../../../local/bench/list-schedule.js";
import { REAL_WORKLOAD_STEMS, readWorkload } from "../../../local/bench/workloads.js";
import { compileDag } from "../../../shared/dag/compile.js";
import { readStatsFigures } from "./stats-file.js";

const dag = (nodes: [string, number, string[]][]) =>
  compileDag(nodes.map(([id, weightMs, dependsOn]) => ({ id, weightMs, dependsOn })));

describe("listSchedule (greedy, longest remaining path first)", () => {
  it("starts the ready node with the longest remaining path first", () => {
    // a(1) -> c(5); b(3); d(3). Priorities: a 6, b 3, d 3. With 2 slots: a and b at 0, c at 1 (not d), d at 3.
    const g = dag([
      ["a", 1, []],
      ["b", 3, []],
      ["c", 5, ["a"]],
      ["d", 3, []],
    ]);
    const s = listSchedule(g, 2);
    expect(s.startMs).toEqual({ a: 0, b: 0, c: 1, d: 3 });
    expect(s.makespanMs).toBe(6);
  });

  it("breaks priority ties by the smaller id", () => {
    const g = dag([
      ["z", 2, []],
      ["y", 2, []],
    ]);
    expect(listSchedule(g, 1).startMs).toEqual({ y: 0, z: 2 });
  });

  it("equals the total work on one slot and the critical path with unlimited slots", () => {
    const g = dag([
      ["a", 4, []],
      ["b", 2, ["a"]],
      ["c", 7, ["a"]],
      ["d", 1, ["b", "c"]],
    ]);
    expect(listSchedule(g, 1).makespanMs).toBe(14);
    expect(listSchedule(g, Infinity).makespanMs).toBe(g.criticalPath.weightMs);
    expect(listSchedule(g, Infinity).makespanMs).toBe(12);
  });

  it("never starts a node before its dependencies finish", () => {
    const g = workloadDag(readWorkload("methylseq-dirt02-001"));
    const s = listSchedule(g, 3);
    for (const id of g.ids)
      for (const d of g.dependencies[id]!) expect(s.startMs[id]).toBeGreaterThanOrEqual(s.finishMs[d]!);
  });

  it("rejects a processor count that is not a positive integer or Infinity", () => {
    const g = dag([["a", 1, []]]);
    expect(() => listSchedule(g, 0)).toThrow(RangeError);
    expect(() => listSchedule(g, 1.5)).toThrow(RangeError);
    expect(() => listSchedule(g, Number.NaN)).toThrow(RangeError);
  });
});

describe("levelBarrierSchedule", () => {
  it("starts a level only when the whole previous level is done", () => {
    // Level 1: a(1), b(5). Level 2: c(1) after a only. Barrier: c waits for b.
    const g = dag([
      ["a", 1, []],
      ["b", 5, []],
      ["c", 1, ["a"]],
    ]);
    const s = levelBarrierSchedule(g, Infinity);
    expect(s.startMs["c"]).toBe(5);
    expect(s.makespanMs).toBe(6);
    expect(listSchedule(g, Infinity).makespanMs).toBe(5);
  });

  it("list-schedules each level on P slots", () => {
    const g = dag([
      ["a", 3, []],
      ["b", 2, []],
      ["c", 2, []],
      ["d", 1, ["a"]],
    ]);
    // Level 1 on 2 slots: a 0-3, b 0-2, c 2-4 -> 4; level 2: d 4-5.
    expect(levelBarrierSchedule(g, 2).makespanMs).toBe(5);
  });
});

describe("the simulators against bench/workloads/stats.txt", () => {
  const figures = readStatsFigures();
  const round1 = (ms: number) => Math.round(ms / 100) / 10;

  it.each(REAL_WORKLOAD_STEMS)("%s: sim P=4/16/64 dep and bar figures", (stem) => {
    const f = figures.get(stem)!;
    expect(f, `stats.txt has ${stem}`).toBeDefined();
    const g = workloadDag(readWorkload(stem));
    for (const p of [4, 16, 64]) {
      expect(round1(listSchedule(g, p).makespanMs), `P=${p} dep`).toBe(f.sim[p]!.dep);
      expect(round1(levelBarrierSchedule(g, p).makespanMs), `P=${p} bar`).toBe(f.sim[p]!.bar);
    }
    expect(Math.round(levelBarrierSchedule(g, Infinity).makespanMs / 10) / 100).toBe(f.barrierInfS);
  });

  it("montage with 4 slots takes 330.9 s (the issue's example)", () => {
    expect(round1(listSchedule(workloadDag(readWorkload("montage-chameleon-2mass-025d-001")), 4).makespanMs)).toBe(
      330.9,
    );
  });
});
