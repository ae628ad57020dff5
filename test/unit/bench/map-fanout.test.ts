import { describe, expect, it } from "vitest";
import { FANOUT_CRITICAL_CALLS, fanoutWorkflow, measureMapFanout } from "../../../local/bench/map-fanout.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";

describe("the dynamic fan-out workload", () => {
  it("is a valid root → map → join workflow whose root lists exactly `width` files", () => {
    const v = validateWorkflow(fanoutWorkflow(256, 1000));
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.dag.criticalPath.nodes).toEqual(["root", "review", "join"]);
    expect(v.dag.criticalPath.nodes).toHaveLength(FANOUT_CRITICAL_CALLS);
    const root = v.workflow.nodes.find((n) => n.id === "root")!;
    const schema = root.output?.schema as { properties: { files: { minItems: number; maxItems: number } } };
    const files = schema.properties.files;
    expect([files.minItems, files.maxItems]).toEqual([256, 256]);
    expect(v.workflow.concurrency).toBe(256);
    expect(v.workflow.cache).toBe(false);
  });
});

describe("measureMapFanout", () => {
  it("measures only the runs after the warm-ups, and each run's cost from the readings before and after it", async () => {
    let n = 0;
    const engine = {
      startRun: async () => `run_${++n}`,
      waitForRuns: async () => {
        const startedAt = "2026-01-01T00:00:00.000Z";
        const makespanMs = 3000 + n * 100;
        const view = { status: "completed", startedAt, finishedAt: startedAt, makespanMs, levels: [{ nodes: [] }] };
        return {
          views: [view],
          timedOut: false,
          idleStats: { qstashDeliveries: n * 66, redisRequests: n * 400 },
          idleCpu: { workerd: n * 250, workerdThreads: new Map(), node: 0, redis: null },
        };
      },
    };
    const m = await measureMapFanout(engine as never, {
      width: 4,
      latencyMs: 1000,
      runs: 2,
      timeoutMs: 1,
      warmUpRuns: 2,
    });
    expect(m.warmUpOverheadMs).toEqual([100, 200]);
    expect(m.overheadMs.p50).toBeGreaterThanOrEqual(300);
    expect(m.overheadMs.max).toBe(400);
    expect(m.costPerRun).toEqual([
      { deliveries: 66, redisRequests: 400, workerdCpuMs: 250 },
      { deliveries: 66, redisRequests: 400, workerdCpuMs: 250 },
    ]);
    // without a warm-up run there is nothing to count the first run from
    n = 0;
    const cold = await measureMapFanout(engine as never, {
      width: 4,
      latencyMs: 1000,
      runs: 2,
      timeoutMs: 1,
      warmUpRuns: 0,
    });
    expect(cold.costPerRun).toHaveLength(1);
  });
});
