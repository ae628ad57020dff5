import { describe, expect, it } from "vitest";
import { compileDag } from "../../../shared/dag/compile.js";
import { buildRunView } from "../../../shared/progress/run-view.js";
import type { RunSnapshot } from "../../../shared/state/run-types.js";

const nodes = [
  { id: "a", agent: "x", prompt: "p", dependsOn: [] as string[], kind: "llm" as const },
  { id: "b", agent: "x", prompt: "p", dependsOn: ["a"], kind: "llm" as const },
  { id: "c", agent: "x", prompt: "p", dependsOn: ["a"], kind: "llm" as const },
  { id: "d", agent: "x", prompt: "p", dependsOn: ["b", "c"], kind: "llm" as const },
];
const dag = compileDag(nodes);

function snapshot(over: Partial<RunSnapshot>): RunSnapshot {
  return {
    meta: { status: "running", createdAt: "1000", startedAt: "1000", inputTokens: "30", outputTokens: "60" },
    frozen: {
      runId: "run_x",
      tenant: "t",
      workflow: {
        name: "w",
        concurrency: 5,
        mode: "eager",
        cache: true,
        cacheTtl: "1h",
        defaults: { retries: 3, timeout: "120s" },
        agents: { x: {} },
        nodes,
      },
      inputRef: "r",
      simulate: null,
      budget: null,
      baseUrl: "http://w",
      trigger: "api",
      createdAt: 1000,
    },
    status: {},
    attempts: {},
    started: {},
    finished: {},
    output: {},
    usage: {},
    model: {},
    excerpt: {},
    error: {},
    cost: {},
    route: {},
    cache: {},
    ...over,
  };
}

describe("buildRunView", () => {
  it("groups nodes by level with todo titles and counts statuses", () => {
    const v = buildRunView(
      snapshot({
        status: { a: "done", b: "running", c: "retrying", d: "pending" },
        attempts: { a: "1", b: "1", c: "2" },
        started: { a: "1000", b: "2000", c: "2100" },
        finished: { a: "2000" },
        usage: { a: "10,20" },
        excerpt: { a: "[SIMULATED OUTPUT: no model was called]" },
        error: { c: "HTTP 500" },
      }),
      dag,
      2500,
    );
    expect(v.levels.map((l) => l.title)).toEqual([
      "Level 1: 1 agent",
      "Level 2: 2 agents in parallel",
      "Level 3: 1 agent",
    ]);
    expect(v.totals).toMatchObject({
      nodes: 4,
      done: 1,
      running: 1,
      retrying: 1,
      pending: 0 + 1,
      attempts: 4,
      inputTokens: 30,
    });
    const a = v.levels[0]?.nodes[0];
    expect(a).toMatchObject({
      id: "a",
      status: "done",
      durationMs: 1000,
      usage: { inputTokens: 10, outputTokens: 20 },
    });
    expect(v.levels[1]?.nodes.find((n) => n.id === "b")?.durationMs).toBe(500); // running: elapsed until now
    expect(v.levels[1]?.nodes.find((n) => n.id === "c")?.error).toBe("HTTP 500");
    expect(v.simulated).toBe(true);
    expect(v.makespanMs).toBe(1500);
    expect(v.makespanOverCriticalPath).toBeNull();
  });

  it("computes the critical path from measured durations and the makespan ratio once finished", () => {
    const v = buildRunView(
      snapshot({
        meta: { status: "completed", createdAt: "0", startedAt: "0", finishedAt: "3300" },
        status: { a: "done", b: "done", c: "done", d: "done" },
        started: { a: "0", b: "1000", c: "1000", d: "3000" },
        finished: { a: "1000", b: "2000", c: "3000", d: "3200" },
      }),
      dag,
      9999,
    );
    expect(v.criticalPath).toEqual({ nodes: ["a", "c", "d"], durationMs: 3200 });
    expect(v.makespanMs).toBe(3300);
    expect(v.makespanOverCriticalPath).toBeCloseTo(3300 / 3200, 3);
    expect(v.finishedAt).toBe(new Date(3300).toISOString());
  });

  it("flags a structured output with no simulated banner in its excerpt as simulated by its recorded route", () => {
    // a schema with no free string (or a string cut by maxLength, or one past the excerpt) leaves no banner
    const excerpt = { a: '{"count":0,"ok":true}' };
    const done = { status: { a: "done" } } as const;
    const real = buildRunView(snapshot({ ...done, excerpt, route: { a: "anthropic|fast|rules|short task" } }), dag, 0);
    expect(real.simulated).toBe(false);
    const sim = buildRunView(snapshot({ ...done, excerpt, route: { a: "simulated|fast|rules|short task" } }), dag, 0);
    expect(sim.simulated).toBe(true);
    expect(sim.levels[0]?.nodes[0]?.route).toMatchObject({ provider: "simulated", tier: "fast", reason: "short task" });
  });
});
