import type { DispatchRun, NodeDispatch } from "../dispatch/dispatcher.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import { runConcurrency } from "../state/run-store.js";
import { advanceSite } from "./advance-site.js";
import { deliveryTimeoutMs } from "./chain-policy.js";
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
 * Publishes one node again after `delaySeconds`, marked `waited` (it waits for an identical call in flight), or
 * `handedBack` (a chain ran an attempt of it that failed: its own message gets the retries left, `retries`).
 * @param key unique per deferral (the delivery's lease), for the deduplication id; null for a node a chain ran,
 *   which never had a message: its message then takes the node's own deduplication id.
 * @param handedBack for `handedBack`: the retries its message gets (the node's own, less the attempt the chain spent).
 * @throws whatever the dispatcher throws.
 */
export async function deferNode(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  delaySeconds: number,
  key: string | null,
  handedBack?: { retries: number },
): Promise<void> {
  const node = nodeDispatch(run, nodeId);
  if (!handedBack) return engine.dispatcher.defer(dispatchRun(run), node, delaySeconds, key);
  await engine.dispatcher.defer(
    dispatchRun(run),
    { ...node, retries: handedBack.retries },
    delaySeconds,
    key,
    "handedBack",
  );
}

function dispatchRun({ frozen, dag, maxTimeoutMs }: LoadedRun): DispatchRun {
  const concurrency = runConcurrency(frozen.workflow.mode, frozen.workflow.concurrency);
  const chainTimeoutMs = deliveryTimeoutMs(frozen.workflow, maxTimeoutMs);
  return {
    baseUrl: frozen.baseUrl,
    concurrency,
    generation: frozen.createdAt,
    advance: advanceSite(concurrency, dag, chainTimeoutMs !== null),
    deliveryTimeoutMs: chainTimeoutMs,
  };
}

function nodeDispatch({ frozen, dag, nodes }: LoadedRun, id: string): NodeDispatch {
  const node = nodes.get(id);
  if (!node) throw new Error(`node ${id} is not in run ${frozen.runId}`);
  const settings = resolveNodeSettings(frozen.workflow, node);
  return {
    runId: frozen.runId,
    nodeId: id,
    retries: settings.retries,
    timeoutMs: settings.timeoutMs,
    priority: dag.remainingPathMs[id] ?? 0,
  };
}
