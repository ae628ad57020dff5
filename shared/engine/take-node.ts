import { EXECUTE_MARGIN_MS } from "../dispatch/dispatcher.js";
import { HTTP_CALL_PUBLISHED, httpHoldMs } from "../http/http-call.js";
import { ProviderError } from "../providers/provider.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import type { BoundDeliveryToken } from "../state/delivery-tokens.js";
import { deferNode, dispatchNodes } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import {
  type DeliveryControls,
  type ExecuteOutcome,
  executeHeld,
  type HeldNode,
  readAlongside,
} from "./execute-node.js";
import { isMapNode, MAP_EXPANDED, mapStillQueued } from "./map-node.js";
import { type LoadedRun, loadRun } from "./run-cache.js";
import { isSubWorkflowNode, startSubWorkflowNode } from "./sub-workflow-node.js";
import { isWaitNode, parkWaitNode, reofferParked } from "./wait-node.js";

/**
 * Outcome of taking a node for a delivery and running it: `ran` (execute-node.ts's output), or `skipped` when this
 * delivery must not run it (duplicate, finished node, unknown run or node, or given back to wait for an identical
 * call in flight); `stillQueued` (node already `done` or `failed`) are the nodes its transition took that are still
 * `queued`, for the caller to publish again. `resumed` ({@link takeMessageNode} only): the message's node was
 * finished, but an earlier delivery of the same message had gone on to run a chain and left `node` unfinished; this
 * delivery now holds it (delivery.ts runs it). `busy` ({@link takeMessageNode} only): another attempt still holds
 * `nodeId` (the message's node or the chain link to resume) and its deadline is more than the delivery may wait away:
 * its outcome is unknown, so the delivery must not answer success; QStash should come back after
 * `retryAfterSeconds`.
 */
export type TakeOutcome =
  | Extract<ExecuteOutcome, { kind: "ran" }>
  | { kind: "skipped"; reason: string; stillQueued?: readonly string[] }
  | { kind: "resumed"; node: HeldNode; stillQueued: readonly string[] }
  | { kind: "busy"; nodeId: string; retryAfterSeconds: number };

/** First pause between two claims while another attempt holds the node, ms; it doubles up to {@link MAX_POLL_MS}. */
const FIRST_POLL_MS = 100;
/** Longest pause between two claims while another attempt holds the node, ms. */
const MAX_POLL_MS = 2_000;

/**
 * When a node's holder counts as gone, ms since epoch: its claim (or chain hand-over) `startedAt`, plus the node's
 * timeout (its provider call is aborted by then), plus the execute margin (dispatcher.ts `EXECUTE_MARGIN_MS`, the
 * time an attempt may take beyond its call); for an http node, its call's whole span (http-limits.ts). Before it,
 * taking the node over could mean two paid calls at once.
 */
export function holderDeadline(run: LoadedRun, nodeId: string, startedAt: number): number {
  const node = run.nodes.get(nodeId);
  // an http node's holder is its call, live through every QStash attempt (shared/http/http-call.ts)
  const httpMs = httpHoldMs(run.frozen.workflow, node);
  if (httpMs !== null) return startedAt + httpMs;
  const timeoutMs = node ? resolveNodeSettings(run.frozen.workflow, node).timeoutMs : 0;
  return startedAt + timeoutMs + EXECUTE_MARGIN_MS;
}

/** Reason of a `skipped` outcome for a node given back to wait for an identical call in flight. */
export const WAITING = "waiting for an identical call in flight";

/**
 * Claims the message's own node for this delivery (claim_node, in one auto-pipelined request with the node's
 * cache generations and run input) and runs it (execute-node.ts). To wait for an identical call in flight, the node
 * is given back (`queued`, while this lease holds it) and published again after the wait under a deduplication id of
 * this deferral; if that publish fails, this delivery answers 500 and QStash's retry claims the queued node again.
 * When another attempt holds the node (the same delivery sent twice, an older attempt of the message, another
 * message's delivery), its outcome is not known: the delivery claims again, after pauses of 100 ms doubling up to
 * 2 s, until the holder finishes (done or failed: `skipped` with what to offer again; given up, `retrying`: claimed),
 * or its {@link holderDeadline} passes (taken over: claim_node with `takeover`). When the deadline is further away
 * than `ctl.waitMs` from the delivery's start, it answers `busy` instead.
 * @param lease `<Upstash-Message-Id>:<Upstash-Retried>` of the delivery.
 * @param ctl generation (claim_node checks it), abort signal, `fresh` node, the wait for a holder (ms; 0: none) and the
 *   request's delivery token (recorded by the first claim; a replayed copy ends `skipped`, `replayed-delivery`).
 * @throws as execute-node.ts `executeHeld`, and when Redis or QStash fail.
 */
export async function takeMessageNode(
  engine: Engine,
  runId: string,
  nodeId: string,
  lease: string,
  ctl: DeliveryControls & {
    generation?: number | undefined;
    waitMs?: number | undefined;
    token?: BoundDeliveryToken | undefined;
  } = {},
): Promise<TakeOutcome> {
  const began = engine.now();
  let startedAt = began;
  // the frozen run is cached per isolate, so claiming (and reading the upstream refs) is usually the first round trip
  const run = await loadRun(engine.store, runId);
  if (!run) return { kind: "skipped", reason: "run-missing" };
  const reads = run.reads.get(nodeId);
  if (!run.nodes.get(nodeId) || !reads) return { kind: "skipped", reason: "unknown-node" };
  let takeover: string | undefined;
  let token = ctl.token;
  let pause = FIRST_POLL_MS;
  let claim;
  let inputs;
  for (;;) {
    // the request's delivery token is recorded by its first claim only: a later one (after `held`) is the same request
    const claiming = engine.store.claimNode(
      runId,
      nodeId,
      lease,
      startedAt,
      reads.nodes,
      ctl.generation,
      takeover,
      token,
    );
    token = undefined;
    [claim, inputs] = await readAlongside(engine, run, nodeId, claiming);
    if (claim.claimed !== "held") break;
    const now = engine.now();
    const deadline = holderDeadline(run, claim.nodeId, claim.startedAt);
    if (now >= deadline) {
      takeover = claim.lease;
    } else {
      const wait = Math.min(pause, deadline - now);
      if (now + wait > began + (ctl.waitMs ?? 0))
        return {
          kind: "busy",
          nodeId: claim.nodeId,
          retryAfterSeconds: Math.max(1, Math.ceil((deadline - now) / 1000)),
        };
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (ctl.signal?.aborted) return { kind: "skipped", reason: "cancelled" };
      pause = Math.min(MAX_POLL_MS, pause * 2);
    }
    startedAt = engine.now();
  }
  if (claim.claimed === "resumed")
    return { kind: "resumed", node: { nodeId: claim.nodeId, attempt: claim.attempt }, stillQueued: claim.stillQueued };
  if (!claim.claimed) {
    // a parked wait node: its timeout message and what its park took are published again (wait-node.ts)
    if (claim.reason === "waiting" && (isWaitNode(run, nodeId) || isSubWorkflowNode(run, nodeId)))
      return reofferParked(engine, run, nodeId);
    // an expanded map waits for its children: offer again those its expansion took that may never have been published
    const again =
      claim.reason === "pending" && isMapNode(run, nodeId) ? await mapStillQueued(engine, runId, nodeId) : [];
    return { kind: "skipped", reason: claim.reason, stillQueued: again.length > 0 ? again : claim.stillQueued };
  }
  const held = { nodeId, attempt: claim.attempt, startedAt, refs: claim.refs };
  // a wait node is parked until its signal or timeout (wait-node.ts)
  if (isWaitNode(run, nodeId)) return parkWaitNode(engine, run, held, inputs, lease, ctl.generation);
  // a workflow node starts its child run and is parked until it ends (sub-workflow-node.ts)
  if (isSubWorkflowNode(run, nodeId)) return startSubWorkflowNode(engine, run, held, inputs, lease, ctl.generation);
  // a map child's claim read its map's expansion too (claim_node)
  const nodeReads = claim.mapExpansion === undefined ? inputs : { ...inputs, mapExpansion: claim.mapExpansion };
  const out = await executeHeld(engine, run, held, nodeReads, new Map(), ctl);
  if (out.kind === "ran") return out;
  if (out.kind === "expanded") return { kind: "skipped", reason: MAP_EXPANDED, stillQueued: out.dispatch };
  // an http node's call is out: the node stays running under this lease until its callback (shared/http/)
  if (out.kind === "external") return { kind: "skipped", reason: HTTP_CALL_PUBLISHED };
  if (!(await engine.store.deferNode(runId, nodeId, lease))) return { kind: "skipped", reason: "superseded" };
  await deferNode(engine, run, nodeId, out.retryAfterMs / 1000, lease, undefined, ctl.generation);
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
 * @param ctl the delivery's generation (for a deferral's message) and abort signal.
 * @throws as execute-node.ts `executeHeld`, and when Redis or QStash fail; the node stays `running` under the lease.
 */
export async function takeChainedNode(
  engine: Engine,
  run: LoadedRun,
  held: HeldNode,
  lease: string,
  known: ReadonlyMap<string, string> = new Map(),
  ctl: DeliveryControls & { generation?: number | undefined } = {},
): Promise<Exclude<TakeOutcome, { kind: "resumed" | "busy" }>> {
  const startedAt = engine.now();
  const runId = run.frozen.runId;
  const reads = run.reads.get(held.nodeId);
  if (!reads) throw new ProviderError("non-retryable", `node ${held.nodeId} is not in run ${runId}`);
  const [refs, inputs] = await readAlongside(engine, run, held.nodeId, engine.store.readRefs(runId, reads.nodes));
  if (isWaitNode(run, held.nodeId))
    return parkWaitNode(engine, run, { ...held, refs }, inputs, lease, ctl.generation, known);
  if (isSubWorkflowNode(run, held.nodeId))
    return startSubWorkflowNode(engine, run, { ...held, refs }, inputs, lease, ctl.generation, known);
  const out = await executeHeld(engine, run, { ...held, startedAt, refs }, inputs, known, ctl);
  if (out.kind === "ran") return out;
  if (out.kind === "expanded") {
    // a chain has no message to answer with: its map's children are published here
    await dispatchNodes(engine, run, out.dispatch, undefined, { generation: ctl.generation });
    return { kind: "skipped", reason: MAP_EXPANDED };
  }
  if (out.kind === "external") return { kind: "skipped", reason: HTTP_CALL_PUBLISHED };
  await deferNode(engine, run, held.nodeId, out.retryAfterMs / 1000, null, undefined, ctl.generation);
  if (!(await engine.store.deferNode(runId, held.nodeId, lease))) return { kind: "skipped", reason: "superseded" };
  return { kind: "skipped", reason: WAITING };
}
