import { resolveNodeSettings } from "../schema/node-settings.js";
import type { DispatchRun, NodeDispatch } from "../dispatch/dispatcher.js";
import { runConcurrency } from "../state/run-store.js";
import { advanceSite } from "./advance-site.js";
import type { Engine } from "./engine.js";
import type { LoadedRun } from "./run-cache.js";

/**
 * Publishes the given ready nodes of a run through the engine's dispatcher, with each node's retries and timeout and
 * its longest remaining path as priority.
 * @returns how many messages were published.
 * @throws whatever the dispatcher throws (the queue refused); run state is unchanged by this call.
 */
export async function dispatchNodes(engine: Engine, run: LoadedRun, nodeIds: readonly string[]): Promise<number> {
  const nodes = nodeIds.map((id) => nodeDispatch(run, id));
  return engine.dispatcher.dispatch(dispatchRun(run), nodes);
}

/**
 * Publishes one node again after `delaySeconds`, marked `waited` (it waits for an identical call in flight).
 * @param key unique per deferral (the delivery's lease), for the deduplication id.
 * @throws whatever the dispatcher throws.
 */
export async function deferNode(engine: Engine, run: LoadedRun, nodeId: string, delaySeconds: number, key: string): Promise<void> {
  await engine.dispatcher.defer(dispatchRun(run), nodeDispatch(run, nodeId), delaySeconds, key);
}

function dispatchRun({ frozen, dag }: LoadedRun): DispatchRun {
  const concurrency = runConcurrency(frozen.workflow.mode, frozen.workflow.concurrency);
  return { baseUrl: frozen.baseUrl, concurrency, generation: frozen.createdAt, advance: advanceSite(concurrency, dag) };
}

function nodeDispatch({ frozen, dag, nodes }: LoadedRun, id: string): NodeDispatch {
  const node = nodes.get(id);
  if (!node) throw new Error(`node ${id} is not in run ${frozen.runId}`);
  const settings = resolveNodeSettings(frozen.workflow, node);
  return { runId: frozen.runId, nodeId: id, retries: settings.retries, timeoutMs: settings.timeoutMs, priority: dag.remainingPathMs[id] ?? 0 };
}
