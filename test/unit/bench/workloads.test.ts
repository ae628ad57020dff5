import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  REAL_WORKLOAD_STEMS,
  readWorkload,
  reviewAllWorkload,
  shortName,
  WORKLOADS_DIR,
} from "../../../local/bench/workloads.js";
import { PROJECT_ROOT } from "../../../local/project-root.js";

describe("workloads", () => {
  it("reads the nine real DAGs, 22 to 1,004 tasks, smallest first", () => {
    const sizes = REAL_WORKLOAD_STEMS.map((s) => readWorkload(s).tasks.length);
    expect(sizes).toEqual([22, 36, 96, 125, 203, 212, 619, 902, 1004]);
  });

  it("names a workload by the first word of its stem", () => {
    expect(REAL_WORKLOAD_STEMS.map(shortName)).toEqual([
      "srasearch",
      "methylseq",
      "soykb",
      "epigenomics",
      "viralrecon",
      "airrflow",
      "montage",
      "1000genome",
      "bwa",
    ]);
    expect(readWorkload("viralrecon-dirt02-001").source).toBe("bench/workloads/viralrecon-dirt02-001.dag.json");
  });

  it("turns review-all into seven one-second tasks with its own definition attached", () => {
    const w = reviewAllWorkload();
    expect(w.tasks).toHaveLength(7);
    expect(w.tasks.every((t) => t.runtime_s === 1)).toBe(true);
    expect(w.tasks.find((t) => t.id === "senior-reviewer")!.deps).toHaveLength(5);
    expect(w.definition?.name).toBe("review-all");
  });

  it("reads from bench/workloads inside the repository", () => {
    expect(WORKLOADS_DIR).toBe(`${PROJECT_ROOT}bench/workloads/`);
    expect(readWorkload("srasearch-chameleon-10a-001").tasks).toHaveLength(22);
  });

  it("ships each DAG with its origin (SOURCES.tsv) and the upstream licence", () => {
    const rows = readFileSync(`${WORKLOADS_DIR}SOURCES.tsv`, "utf8").trim().split("\n").slice(1);
    const origins = new Map(rows.map((r) => r.split("\t")).map((c) => [c[6], c[0]]));
    for (const stem of REAL_WORKLOAD_STEMS) expect(origins.get(`${stem}.json`), stem).toBe("wfcommons/WfInstances");
    expect(readFileSync(`${WORKLOADS_DIR}LICENSE.WfInstances.LGPL-3.0`, "utf8")).toMatch(/LESSER GENERAL PUBLIC/);
  });

  it("names the missing file and where the real DAGs live", () => {
    expect(() => readWorkload("nope-001")).toThrow(/nope-001\.dag\.json not found .*bench\/workloads\/\*\.dag\.json/);
  });
});
