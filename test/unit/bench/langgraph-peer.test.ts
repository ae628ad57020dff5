import { describe, expect, it } from "vitest";
import { runLangGraph } from "../../../local/bench/langgraph-peer.js";

describe("runLangGraph", () => {
  it("runs every task exactly once and never before its parents finished (multi-parent join)", async () => {
    const tasks = [
      { id: "a.1", dependsOn: [], latencyMs: 1 },
      { id: "b:2", dependsOn: [], latencyMs: 5 },
      { id: "c|3", dependsOn: ["a.1", "b:2"], latencyMs: 1 },
      { id: "d", dependsOn: ["c|3"], latencyMs: 0 },
    ];
    const run = await runLangGraph(tasks);
    expect(run.executions).toBe(4);
    expect(Object.keys(run.startMs).sort()).toEqual(["a.1", "b:2", "c|3", "d"]);
    expect(run.startMs["c|3"]).toBeGreaterThanOrEqual(Math.max(run.finishMs["a.1"]!, run.finishMs["b:2"]!));
    expect(run.startMs["d"]).toBeGreaterThanOrEqual(run.finishMs["c|3"]!);
    expect(run.makespanMs).toBeGreaterThanOrEqual(run.finishMs["d"]!);
  });

  it("joins with a barrier per superstep: a fast branch waits for the slow sibling's superstep", async () => {
    // fast -> child; slow has nothing after it. A dependency-driven scheduler starts `child` when `fast` ends;
    // LangGraph starts it in the next superstep, after `slow` ends too.
    const run = await runLangGraph([
      { id: "fast", dependsOn: [], latencyMs: 0 },
      { id: "slow", dependsOn: [], latencyMs: 30 },
      { id: "child", dependsOn: ["fast"], latencyMs: 0 },
    ]);
    expect(run.startMs["child"]).toBeGreaterThanOrEqual(run.finishMs["slow"]!);
  });

  it("rejects a dependency on an unknown task", async () => {
    await expect(runLangGraph([{ id: "a", dependsOn: ["ghost"], latencyMs: 0 }])).rejects.toThrow(
      /unknown dependency "ghost"/,
    );
  });
});
