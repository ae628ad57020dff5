/**
 * Reads bench/workloads/stats.txt (reference figures for the nine real DAGs) for the bench tests:
 * per file stem, the level-barrier makespan with unlimited workers and the `sim P=… dep/bar` list-schedule figures,
 * all in seconds as printed (one decimal for `sim`, two for `barrier_inf`).
 */
import { readFileSync } from "node:fs";
import { WORKLOADS_DIR } from "../../../local/bench/workloads.js";

/** Figures of one workload: `barrierInfS`, and `sim[P] = { dep, bar }` in seconds. */
export interface StatsFigures {
  barrierInfS: number;
  sim: Record<number, { dep: number; bar: number }>;
}

/** Parses stats.txt into figures keyed by file stem (e.g. `montage-chameleon-2mass-025d-001`). */
export function readStatsFigures(): Map<string, StatsFigures> {
  const out = new Map<string, StatsFigures>();
  let cur: StatsFigures | undefined;
  for (const line of readFileSync(`${WORKLOADS_DIR}stats.txt`, "utf8").split("\n")) {
    const header = /^(\S+\.json)\s+\(WfFormat/.exec(line);
    if (header) {
      cur = { barrierInfS: Number.NaN, sim: {} };
      out.set(
        header[1]!
          .split("/")
          .pop()!
          .replace(/(\.v[\d.]+)?\.json$/, ""),
        cur,
      );
      continue;
    }
    if (!cur) continue;
    const barrier = /barrier_inf=([\d.]+)s/.exec(line);
    if (barrier) cur.barrierInfS = Number(barrier[1]);
    for (const m of line.matchAll(/P=(\d+) dep\/bar = ([\d.]+)\/([\d.]+)/g)) {
      cur.sim[Number(m[1])] = { dep: Number(m[2]), bar: Number(m[3]) };
    }
  }
  return out;
}
