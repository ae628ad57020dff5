import { type DispatchRun, EXECUTE_MARGIN_MS, type NodeDispatch } from "../dispatch/dispatcher.js";
import { httpHoldMs } from "../http/http-call.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import { runConcurrency } from "../state/run-store.js";
import { advanceSite } from "./advance-site.js";
import { deliveryTimeoutMs, nodesPerDelivery } from "./chain-policy.js";
import type { Engine } from "./engine.js";
import { MAP_JOIN_DEDUP_SUFFIX, mapJoinIds } from "./map-node.js";
import type { LoadedRun } from "./run-cache.js";
import { groupSiblings, siblingGroupSize } from "./sibling-groups.js";

/**
 * Publishes the given ready nodes of a run through the engine's dispatcher, with each node's retries and timeout and
 * its longest remaining path as priority; in a run whose deliveries chain, the children of a map several to a
 * message (sibling-groups.ts).
 * @param repairKey the sweeper's re-offer: fresh deduplication ids (Dispatcher `dispatch`).
 * @param opts.generation the run's current dispatch generation (run meta `generation`, or the generation of the
 *   message whose delivery publishes); default the run's creation time, right until its first retry or rerun.
 * @param opts.fresh a node among them that must not read the result cache (a rerun's `from`).
 * @returns how many messages were published (a group is one).
 * @throws whatever the dispatcher throws (the queue refused); run state is unchanged by this call.
 */
export async function dispatchNodes(
  engine: Engine,
  run: LoadedRun,
  nodeIds: readonly string[],
  repairKey?: string,
  opts: DispatchOptions = {},
): Promise<number> {
  // an expanded map node's join needs a message id of its own (map-node.ts)
  const joins = await mapJoinIds(engine, run, nodeIds);
  const nodes = nodeIds.map((id) => ({
    ...nodeDispatch(run, id),
    ...(id === opts.fresh ? { fresh: true } : {}),
    ...(joins.has(id) ? { dedupSuffix: MAP_JOIN_DEDUP_SUFFIX } : {}),
  }));
  const target = dispatchRun(run, opts.generation);
  // a map's children share messages in a run whose deliveries chain (sibling-groups.ts `siblingGroupSize`)
  const size = siblingGroupSize(target, nodesPerDelivery(run.frozen.workflow));
  const messages = size > 1 ? groupSiblings(nodes, size) : nodes;
  if (repairKey === undefined) return engine.dispatcher.dispatch(target, messages);
  return engine.dispatcher.dispatch(target, messages, repairKey);
}

/** Which try a publish belongs to: the run's dispatch generation (ms), and a rerun's `from` node. */
export interface DispatchOptions {
  generation?: number | undefined;
  fresh?: string | undefined;
}

/**
 * A node's delivery deadline after its start, ms: its message's timeout (the run's delivery timeout when its
 * deliveries chain, else the node's own timeout) plus the execute margin, as QStash is told (dispatcher.ts); for an
 * http node, its call's whole span (shared/http/http-limits.ts).
 */
export function deliveryDeadlineMs(run: LoadedRun, nodeId: string): number {
  // an http node stays running while QStash calls its endpoint, through every attempt (shared/http/http-call.ts)
  const httpMs = httpHoldMs(run.frozen.workflow, run.nodes.get(nodeId));
  if (httpMs !== null) return httpMs;
  const chainMs = dispatchRun(run).deliveryTimeoutMs ?? null;
  const ownMs = run.nodes.has(nodeId) ? nodeDispatch(run, nodeId).timeoutMs : run.maxTimeoutMs;
  return (chainMs ?? ownMs) + EXECUTE_MARGIN_MS;
}

/**
 * Publishes one node again after `delaySeconds`, marked `waited` (it waits for an identical call in flight), or
 * `handedBack` (a chain ran an attempt of it that failed: its own message gets the retries left, `retries`).
 * @param key unique per deferral (the delivery's lease), for the deduplication id; null for a node a chain ran,
 *   which never had a message: its message then takes the node's own deduplication id.
 * @param handedBack for `handedBack`: the retries its message gets (the node's own, less the attempt the chain spent).
 * @param generation the dispatch generation of the delivery that defers (default: the run's creation time).
 * @throws whatever the dispatcher throws.
 */
export async function deferNode(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  delaySeconds: number,
  key: string | null,
  handedBack?: { retries: number },
  generation?: number,
): Promise<void> {
  const joins = await mapJoinIds(engine, run, [nodeId]);
  const node = { ...nodeDispatch(run, nodeId), ...(joins.has(nodeId) ? { dedupSuffix: MAP_JOIN_DEDUP_SUFFIX } : {}) };
  if (!handedBack) return engine.dispatcher.defer(dispatchRun(run, generation), node, delaySeconds, key);
  await engine.dispatcher.defer(
    dispatchRun(run, generation),
    { ...node, retries: handedBack.retries },
    delaySeconds,
    key,
    "handedBack",
  );
}

function dispatchRun({ frozen, dag, maxTimeoutMs }: LoadedRun, generation?: number): DispatchRun {
  const concurrency = runConcurrency(frozen.workflow.mode, frozen.workflow.concurrency);
  const chainTimeoutMs = deliveryTimeoutMs(frozen.workflow, maxTimeoutMs);
  return {
    baseUrl: frozen.baseUrl,
    concurrency,
    generation: generation ?? frozen.createdAt,
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
