import { ProviderError } from "../providers/provider.js";
import { deferNode } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import { type ExecuteOutcome, executeHeld, type HeldNode, readAlongside } from "./execute-node.js";
import { type LoadedRun, loadRun } from "./run-cache.js";

/**
 * Outcome of taking a node for a delivery and running it: `ran` (execute-node.ts's output), or `skipped` when this
 * delivery must not run it (duplicate, finished node, unknown run or node, or given back to wait for an identical
 * call in flight); `stillQueued` (node already `done` or `failed`) are the nodes its transition took that are still
 * `queued`, for the caller to publish again. `resumed` ({@link takeMessageNode} only): the message's node was
 * finished, but an earlier delivery of the same message had gone on to run a chain and left `node` unfinished; this
 * delivery now holds it (delivery.ts runs it).
 */
export type TakeOutcome =
  | Extract<ExecuteOutcome, { kind: "ran" }>
  | { kind: "skipped"; reason: string; stillQueued?: readonly string[] }
  | { kind: "resumed"; node: HeldNode; stillQueued: readonly string[] };

/** Reason of a `skipped` outcome for a node given back to wait for an identical call in flight. */
export const WAITING = "waiting for an identical call in flight";

/**
 * Claims the message's own node for this delivery (claim_node, in one auto-pipelined request with the node's
 * cache generations and run input) and runs it (execute-node.ts). When it must wait for an identical call in flight,
 * the node is given back first (`queued`, only while this lease holds it) and then published again after the wait,
 * under a deduplication id of this deferral: if that publish fails, this delivery answers 500 and QStash's retry
 * claims the queued node again.
 * @param lease `<Upstash-Message-Id>:<Upstash-Retried>` of the delivery.
 * @throws as execute-node.ts `executeHeld`, and when Redis or QStash fail.
 */
export async function takeMessageNode(
  engine: Engine,
  runId: string,
  nodeId: string,
  lease: string,
): Promise<TakeOutcome> {
  const startedAt = engine.now();
  // the frozen run is cached per isolate, so claiming (and reading the upstream refs) is usually the first round trip
  const run = await loadRun(engine.store, runId);
  if (!run) return { kind: "skipped", reason: "run-missing" };
  const reads = run.reads.get(nodeId);
  if (!run.nodes.get(nodeId) || !reads) return { kind: "skipped", reason: "unknown-node" };
  const claiming = engine.store.claimNode(runId, nodeId, lease, startedAt, reads.nodes);
  const [claim, inputs] = await readAlongside(engine, run, nodeId, claiming);
  if (claim.claimed === "resumed")
    return { kind: "resumed", node: { nodeId: claim.nodeId, attempt: claim.attempt }, stillQueued: claim.stillQueued };
  if (!claim.claimed) return { kind: "skipped", reason: claim.reason, stillQueued: claim.stillQueued };
  const out = await executeHeld(engine, run, { nodeId, attempt: claim.attempt, startedAt, refs: claim.refs }, inputs);
  if (out.kind === "ran") return out;
  if (!(await engine.store.deferNode(runId, nodeId, lease))) return { kind: "skipped", reason: "superseded" };
  await deferNode(engine, run, nodeId, out.retryAfterMs / 1000, lease);
  return { kind: "skipped", reason: WAITING };
}

/**
 * Runs a node this delivery already holds (a chain's next node, which complete_node set `running` under the
 * delivery's lease, or a node it resumed): reads its upstream refs with its cache generations and run input in one
 * auto-pipelined request, then runs it. A chained node never had a message, so when it must wait for an identical
 * call in flight its deferral is published first (under the node's own deduplication id) and only then is it given
 * back: if the publish fails, the node is still this delivery's and the chain hands it back; if a newer attempt of
 * the message took the node over meanwhile, it may run twice (a rare race).
 * @param known output texts this delivery already holds, by blob ref (a chain's earlier outputs): not read again.
 * @throws as execute-node.ts `executeHeld`, and when Redis or QStash fail; the node stays `running` under the lease.
 */
export async function takeChainedNode(
  engine: Engine,
  run: LoadedRun,
  held: HeldNode,
  lease: string,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<Exclude<TakeOutcome, { kind: "resumed" }>> {
  const startedAt = engine.now();
  const runId = run.frozen.runId;
  const reads = run.reads.get(held.nodeId);
  if (!reads) throw new ProviderError("non-retryable", `node ${held.nodeId} is not in run ${runId}`);
  const [refs, inputs] = await readAlongside(engine, run, held.nodeId, engine.store.readRefs(runId, reads.nodes));
  const out = await executeHeld(engine, run, { ...held, startedAt, refs }, inputs, known);
  if (out.kind === "ran") return out;
  await deferNode(engine, run, held.nodeId, out.retryAfterMs / 1000, null);
  if (!(await engine.store.deferNode(runId, held.nodeId, lease))) return { kind: "skipped", reason: "superseded" };
  return { kind: "skipped", reason: WAITING };
}
