import { compileDag } from "../../shared/dag/compile.js";
import type { WorkflowNode } from "../../shared/schema/workflow.js";
import type { RunStore } from "../../shared/state/run-store.js";
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

/**
 * Starts a test run through RunStore directly (start_run, as POST /v1/runs would, without publishing): `nodes` as
 * workflow nodes, or as a DAG `{ node: dependencies }` of plain llm nodes of agent `a`; now 1 ms, retention 60 s,
 * active TTL 600 s, one node per delivery.
 * @param opts `mode`, `createdAt` (default 1: the first dispatch generation) and `concurrency` (default 1,000).
 * @throws UpstashError when Redis fails.
 */
export async function startTestRun(
  store: RunStore,
  runId: string,
  nodes: WorkflowNode[] | Record<string, string[]>,
  opts: { mode?: "eager" | "levels"; createdAt?: number; concurrency?: number } = {},
): Promise<void> {
  const list = Array.isArray(nodes)
    ? nodes
    : Object.entries(nodes).map(
        ([id, dependsOn]) => ({ id, agent: "a", prompt: "p", dependsOn, kind: "llm" }) as WorkflowNode,
      );
  const dag = compileDag(list.map((n) => ({ id: n.id, dependsOn: n.dependsOn, weightMs: 1 })));
  const frozen = frozenTestRun(runId, list, { mode: opts.mode, createdAt: opts.createdAt ?? 1 });
  if (opts.concurrency !== undefined) frozen.workflow.concurrency = opts.concurrency;
  await store.startRun({
    frozen,
    dag,
    fingerprint: "fp",
    now: 1,
    retentionSeconds: 60,
    activeTtlSeconds: 600,
    nodesPerDelivery: 1,
  });
}
