import { describe, expect, it } from "vitest";
import { BENCH_MAX_NODES } from "../../../local/bench/plan.js";
import { dedupe, latencyMs, workloadWorkflow } from "../../../local/bench/workflow.js";
import { REAL_WORKLOAD_STEMS, readWorkload, reviewAllWorkload, type Workload } from "../../../local/bench/workloads.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";
import { MAX_NODES } from "../../../shared/schema/workflow.js";

const tiny: Workload = {
  name: "tiny",
  source: "test",
  tasks: [
    { id: "a", category: "fetch", runtime_s: 2, deps: [] },
    { id: "b.x", category: "fetch", runtime_s: 0.5004, deps: ["a", "a"] },
  ],
};

describe("workload → workflow", () => {
  it("dedupes dependencies and keeps their first-seen order", () => {
    expect(dedupe(["b", "a", "b", "c", "a"])).toEqual(["b", "a", "c"]);
  });

  it("scales runtimes to whole ms", () => {
    expect(latencyMs(0.5004, 1000)).toBe(500);
    expect(latencyMs(2, 12.5)).toBe(25);
    expect(latencyMs(0, 99)).toBe(0);
    expect(() => latencyMs(-1, 10)).toThrow(RangeError);
    expect(() => latencyMs(1, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it("builds one simulated node per task with deduped edges, distinct prompts and the cache off", () => {
    const wf = workloadWorkflow(tiny, { scaleMsPerSecond: 1000, mode: "levels", concurrency: 4, outputBytes: 1024 });
    expect(wf).toMatchObject({ name: "bench-tiny", mode: "levels", concurrency: 4, cache: false });
    expect(wf.nodes.map((n) => [n.id, n.dependsOn, n.simulate])).toEqual([
      ["a", [], { latencyMs: 2000, outputBytes: 1024 }],
      ["b.x", ["a"], { latencyMs: 500, outputBytes: 1024 }],
    ]);
    expect(new Set(wf.nodes.map((n) => n.prompt)).size).toBe(2);
  });

  it("sets nodesPerDelivery only when asked, on generated and bundled workflows alike", () => {
    expect(workloadWorkflow(tiny, { scaleMsPerSecond: 1 })).not.toHaveProperty("nodesPerDelivery");
    expect(workloadWorkflow(tiny, { scaleMsPerSecond: 1, nodesPerDelivery: 1 }).nodesPerDelivery).toBe(1);
    expect(workloadWorkflow(reviewAllWorkload(), { scaleMsPerSecond: 1, nodesPerDelivery: 3 }).nodesPerDelivery).toBe(
      3,
    );
  });

  it("rejects a concurrency outside 1..1000", () => {
    expect(() => workloadWorkflow(tiny, { scaleMsPerSecond: 1, concurrency: 0 })).toThrow(RangeError);
    expect(() => workloadWorkflow(tiny, { scaleMsPerSecond: 1, concurrency: 1001 })).toThrow(RangeError);
  });

  it("keeps review-all's own agents and prompts and sets every node's latency", () => {
    const wf = workloadWorkflow(reviewAllWorkload(), { scaleMsPerSecond: 250 });
    expect(wf.nodes).toHaveLength(7);
    expect(wf.nodes.every((n) => n.simulate.latencyMs === 250)).toBe(true);
    expect(wf.nodes.find((n) => n.id === "senior-reviewer")!.prompt).toContain("{{nodes.");
    expect(Object.keys(wf.agents)).toContain("senior-reviewer");
  });

  const fitting = REAL_WORKLOAD_STEMS.filter((stem) => readWorkload(stem).tasks.length <= MAX_NODES);

  it.each(fitting)("the workflow of %s passes the engine's own validation", (stem) => {
    const result = validateWorkflow(workloadWorkflow(readWorkload(stem), { scaleMsPerSecond: 10 }));
    expect(result.ok ? [] : (result.problem.errors ?? [result.problem.detail]).slice(0, 3)).toEqual([]);
  });

  it("only bwa (1,004 nodes) exceeds the default 1,000-node limit: rejected at /nodes by default, valid under the bench's limit", () => {
    expect(REAL_WORKLOAD_STEMS.filter((stem) => !fitting.includes(stem))).toEqual(["bwa-chameleon-large-001"]);
    const bwa = workloadWorkflow(readWorkload("bwa-chameleon-large-001"), { scaleMsPerSecond: 10 });
    const result = validateWorkflow(bwa);
    expect(result.ok ? [] : result.problem.errors?.map((e) => [e.pointer, e.detail])).toEqual([
      ["/nodes", "a workflow has at most 1000 nodes (got 1004)"],
    ]);
    const raised = validateWorkflow(bwa, "", { maxNodes: BENCH_MAX_NODES });
    expect(raised.ok ? [] : (raised.problem.errors ?? [raised.problem.detail]).slice(0, 3)).toEqual([]);
  });

  it("review-all's workflow passes the engine's own validation", () => {
    const result = validateWorkflow(
      workloadWorkflow(reviewAllWorkload(), { scaleMsPerSecond: 10, mode: "sequential" }),
    );
    expect(result.ok ? [] : (result.problem.errors ?? [result.problem.detail]).slice(0, 3)).toEqual([]);
  });
});
