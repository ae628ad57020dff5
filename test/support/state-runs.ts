import type { WorkflowNode } from "../../shared/schema/workflow.js";
import type { FrozenRun } from "../../shared/state/run-types.js";

/**
 * The frozen definition of a test run of `nodes` (tenant `t`, workflow `w`, agent `a`, no budget, no simulation), as
 * POST /v1/runs would store it: for the state tests, which start runs through RunStore directly.
 * @param opts `mode` (default eager), `nodesPerDelivery` (default 1), `createdAt` (ms, default 0: the first dispatch
 *   generation).
 */
export function frozenTestRun(
  runId: string,
  nodes: WorkflowNode[],
  opts: { mode?: "eager" | "levels"; nodesPerDelivery?: number; createdAt?: number } = {},
): FrozenRun {
  return {
    runId,
    tenant: "t",
    workflow: {
      name: "w",
      concurrency: 1000,
      mode: opts.mode ?? "eager",
      nodesPerDelivery: opts.nodesPerDelivery ?? 1,
      cache: true,
      cacheTtl: "1h",
      defaults: { retries: 3, timeout: "120s" },
      agents: { a: {} },
      nodes,
    },
    inputRef: "0".repeat(64),
    simulate: null,
    budget: null,
    baseUrl: "http://w",
    trigger: "api",
    createdAt: opts.createdAt ?? 0,
  };
}
