/**
 * The message-size experiment: the same workflow with every node's output padded to each size (e.g. 1 KiB and
 * 1 MiB). QStash messages carry `{runId, nodeId}` only, so the publish path's bytes per message must not change
 * with the output size; Redis request bytes grow, since each output is written once.
 */
import type { EngineHarness } from "./engine-harness.js";
import { measureEngineRun } from "./engine-run.js";
import type { PreparedWorkload } from "./plan.js";
import type { MessageSizeResult } from "./results.js";
import { workloadWorkflow } from "./workflow.js";

/**
 * Runs `prepared` once per size (eager, unlimited concurrency) and records its counters per node.
 * @param sizes output sizes in bytes (each at most 2,000,000, the simulated provider's cap).
 * @param timeoutMs per run, ms.
 */
export async function runMessageSizes(
  engine: EngineHarness,
  prepared: PreparedWorkload,
  sizes: readonly number[],
  timeoutMs: number,
): Promise<MessageSizeResult[]> {
  const out: MessageSizeResult[] = [];
  for (const outputBytes of sizes) {
    const workflow = workloadWorkflow(prepared.workload, {
      scaleMsPerSecond: prepared.scaleMsPerSecond,
      outputBytes,
      name: `bench-${prepared.workload.name}-bytes`,
    });
    const r = await measureEngineRun(engine, {
      scenario: "makespan",
      workload: prepared.workload.name,
      workflow,
      dag: prepared.dag,
      expectedMs: prepared.summary.criticalPathMs,
      timeoutMs,
    });
    out.push({
      workload: prepared.workload.name,
      outputBytes,
      nodes: r.nodes,
      outcome: r.outcome,
      stats: r.stats,
      perNode: r.perNode,
    });
  }
  return out;
}
