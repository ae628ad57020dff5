import { resolveNodeSettings } from "../schema/node-settings.js";
import type { NodeDispatch } from "../dispatch/dispatcher.js";
import { runConcurrency } from "../state/run-store.js";
import type { Engine } from "./engine.js";
import type { LoadedRun } from "./run-cache.js";

/**
 * Publishes the given ready nodes of a run through the engine's dispatcher, with each node's retries and timeout and
 * its longest remaining path as priority.
 * @returns how many messages were published.
 * @throws whatever the dispatcher throws (the queue refused); run state is unchanged by this call.
 */
export async function dispatchNodes(engine: Engine, run: LoadedRun, nodeIds: readonly string[]): Promise<number> {
  const { frozen, dag } = run;
  const byId = new Map(frozen.workflow.nodes.map((n) => [n.id, n]));
  const nodes: NodeDispatch[] = nodeIds.map((id) => {
    const node = byId.get(id);
    if (!node) throw new Error(`node ${id} is not in run ${frozen.runId}`);
    const settings = resolveNodeSettings(frozen.workflow, node);
    return { runId: frozen.runId, nodeId: id, retries: settings.retries, timeoutMs: settings.timeoutMs, priority: dag.remainingPathMs[id] ?? 0 };
  });
  return engine.dispatcher.dispatch({ baseUrl: frozen.baseUrl, concurrency: runConcurrency(frozen.workflow.mode, frozen.workflow.concurrency) }, nodes);
}
