import { describe, expect, it } from "vitest";
import { REAL_WORKLOAD_STEMS, readWorkload, reviewAllWorkload, shortName } from "../../../local/bench/workloads.js";

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
    expect(readWorkload("viralrecon-dirt02-001").source).toBe("../shared/workloads/viralrecon-dirt02-001.dag.json");
  });

  it("turns review-all into seven one-second tasks with its own definition attached", () => {
    const w = reviewAllWorkload();
    expect(w.tasks).toHaveLength(7);
    expect(w.tasks.every((t) => t.runtime_s === 1)).toBe(true);
    expect(w.tasks.find((t) => t.id === "senior-reviewer")!.deps).toHaveLength(5);
    expect(w.definition?.name).toBe("review-all");
  });

  it("says where the team folder should be when a workload is missing", () => {
    expect(() => readWorkload("nope-001")).toThrow(/must sit beside the repository/);
  });
});
