/**
 * The compiler against the nine real workflow DAGs in bench/workloads (WfCommons WfInstances, see its README):
 * task counts, edges, level counts, max width and critical-path runtime must match stats.txt there.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { WORKLOADS_DIR as dir } from "../../../local/bench/workloads.js";
import { compileDag } from "../../../shared/dag/compile.js";
import type { DagNodeInput } from "../../../shared/dag/types.js";

type Task = { id: string; runtime_s: number; deps: string[] };
type Stats = {
  tasks: number;
  edges: number;
  levels: number;
  maxWidth: number;
  cpRuntimeS: number;
  widthProfile: (number | "...")[];
};

/** Parses stats.txt into stats keyed by instance stem (e.g. "bwa-chameleon-large-001"). */
function parseStats(text: string): Map<string, Stats> {
  const out = new Map<string, Stats>();
  let stem: string | undefined;
  let cur: Partial<Stats> = {};
  for (const line of text.split("\n")) {
    const header = /^(\S+\.json)\s+\(WfFormat/.exec(line);
    if (header) {
      stem = header[1]!
        .split("/")
        .pop()!
        .replace(/(\.v[\d.]+)?\.json$/, "");
      cur = {};
      out.set(stem, cur as Stats);
      continue;
    }
    const shape = /tasks=(\d+) edges=(\d+) .*levels=(\d+) max_width\(ASAP level\)=(\d+)/.exec(line);
    if (shape) Object.assign(cur, { tasks: +shape[1]!, edges: +shape[2]!, levels: +shape[3]!, maxWidth: +shape[4]! });
    const cp = /cp_runtime=([\d.]+)s/.exec(line);
    if (cp) cur.cpRuntimeS = +cp[1]!;
    const profile = /width_profile=(\[.*\])/.exec(line);
    if (profile) cur.widthProfile = JSON.parse(profile[1]!.replaceAll("'", '"')) as (number | "...")[];
  }
  return out;
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith(".dag.json"))
  .sort();
const stats = parseStats(readFileSync(`${dir}stats.txt`, "utf8"));

describe("real workload DAGs", () => {
  it("has all nine instances with stats", () => {
    expect(files).toHaveLength(9);
    for (const f of files) expect(stats.has(f.replace(/\.dag\.json$/, "")), f).toBe(true);
  });

  it.each(files)("%s matches stats.txt", (file) => {
    const s = stats.get(file.replace(/\.dag\.json$/, ""))!;
    const { tasks } = JSON.parse(readFileSync(`${dir}${file}`, "utf8")) as { tasks: Task[] };
    const nodes: DagNodeInput[] = tasks.map((t) => ({ id: t.id, dependsOn: t.deps, weightMs: t.runtime_s * 1000 }));
    const dag = compileDag(nodes);

    expect(dag.order).toHaveLength(s.tasks);
    expect(dag.edgeCount).toBe(s.edges);
    expect(dag.levels).toHaveLength(s.levels);
    expect(dag.maxWidth).toBe(s.maxWidth);
    expect(Math.abs(dag.criticalPath.weightMs / 1000 - s.cpRuntimeS)).toBeLessThanOrEqual(0.01);

    // Width profile: stats.txt elides the middle of long profiles with "...".
    const widths = dag.levels.map((l) => l.length);
    const cut = s.widthProfile.indexOf("...");
    if (cut < 0) expect(widths).toEqual(s.widthProfile);
    else {
      expect(widths.slice(0, cut)).toEqual(s.widthProfile.slice(0, cut));
      expect(widths.slice(widths.length - (s.widthProfile.length - cut - 1))).toEqual(s.widthProfile.slice(cut + 1));
    }

    // The critical path is a real chain: consecutive nodes are dependency -> dependent, root to sink.
    const cp = dag.criticalPath.nodes;
    expect(dag.pendingCounts[cp[0]!]).toBe(0);
    expect(dag.dependents[cp[cp.length - 1]!]).toEqual([]);
    for (let k = 0; k + 1 < cp.length; k++) expect(dag.dependencies[cp[k + 1]!]).toContain(cp[k]);
    expect(dag.remainingPathMs[cp[0]!]).toBe(dag.criticalPath.weightMs);
  });

  it("compiles the largest (1,004 nodes, 4,000 edges): every edge counted once, three levels", () => {
    const { tasks } = JSON.parse(readFileSync(`${dir}bwa-chameleon-large-001.dag.json`, "utf8")) as { tasks: Task[] };
    const dag = compileDag(tasks.map((t) => ({ id: t.id, dependsOn: t.deps, weightMs: t.runtime_s * 1000 })));
    expect(dag.order).toHaveLength(1004);
    expect(dag.levels.map((l) => l.length)).toEqual([2, 1000, 2]);
    expect(dag.edgeCount).toBe(4000);
  });

  it("collapses duplicated deps without changing the result", () => {
    const { tasks } = JSON.parse(readFileSync(`${dir}montage-chameleon-2mass-025d-001.dag.json`, "utf8")) as {
      tasks: Task[];
    };
    const once = compileDag(tasks.map((t) => ({ id: t.id, dependsOn: t.deps })));
    const twice = compileDag(tasks.map((t) => ({ id: t.id, dependsOn: [...t.deps, ...t.deps] })));
    expect(twice.pendingCounts).toEqual(once.pendingCounts);
    expect(twice.levels).toEqual(once.levels);
    expect(twice.edgeCount).toBe(once.edgeCount);
  });
});
