/**
 * Sibling groups: the ready children of one map node travel several to an execute message ({@link siblingGroupSize}),
 * and its delivery runs them side by side (functions/internal.ts). Each child stays an ordinary node with its own
 * claim, attempt, cache lookup, budget hold, provider call and completion; what the group shares is the message's
 * trip through QStash, its signature check and its flow-control slot, which are most of what a child of a wide
 * fan-out costs the worker (docs/performance.md "Dynamic fan-out").
 *
 * Each child of a group runs under a lease of its own, `<message id>/<index>:<retried>` ({@link siblingLease}), so
 * claim_node and take-overs treat it as the only node of a message (`<message id>/<index>`) retried with the
 * group's message: nothing in the run's state knows about groups. A grouped child runs alone (no chain), so a
 * delivery still runs at most `nodesPerDelivery` nodes, side by side or one after another.
 */

import { parseMapChildId } from "../dag/map-refs.js";
import type { DispatchRun, NodeDispatch } from "../dispatch/dispatcher.js";
import { MAX_NODES_PER_MESSAGE } from "../schema/qstash-callback.js";

export { MAX_NODES_PER_MESSAGE };

/**
 * How many children of a map one message of the run may carry: 1 (no groups) unless the run's deliveries chain and
 * it advances inline, else min({@link MAX_NODES_PER_MESSAGE}, the run's `nodesPerDelivery`). A chaining run keeps
 * no message ahead (shared/state/prefetch.ts), so the nodes Redis lets run never outnumber its slots and QStash's
 * flow control (one slot per message) is not what bounds its concurrency; a success callback reports one node's
 * attempt; and `nodesPerDelivery` is what one delivery may run (chain-policy.ts: Workers' subrequest and CPU limits).
 * @param chainLimit the run's `nodesPerDelivery` (chain-policy.ts).
 */
export function siblingGroupSize(run: Pick<DispatchRun, "advance" | "deliveryTimeoutMs">, chainLimit: number): number {
  if (run.advance !== "inline" || run.deliveryTimeoutMs == null) return 1;
  return Math.max(1, Math.min(MAX_NODES_PER_MESSAGE, chainLimit));
}

/**
 * Puts the children of the same map among `nodes` into groups of at most `size` (≤ {@link MAX_NODES_PER_MESSAGE}),
 * in the order given: each group is one dispatch (its first child's, with the others as `siblings`, and the highest
 * priority, retries and timeout of the group). A node that is no map child, a rerun's `fresh` node and a node with a
 * deduplication suffix stay alone.
 */
export function groupSiblings(nodes: readonly NodeDispatch[], size = MAX_NODES_PER_MESSAGE): NodeDispatch[] {
  const most = Math.max(1, Math.min(size, MAX_NODES_PER_MESSAGE));
  const out: NodeDispatch[] = [];
  const open = new Map<string, { dispatch: NodeDispatch; siblings: string[] }>();
  for (const n of nodes) {
    const child = parseMapChildId(n.nodeId);
    if (most === 1 || !child || n.fresh || n.dedupSuffix !== undefined) {
      out.push(n);
      continue;
    }
    const key = `${n.runId}\u0000${child.mapId}`;
    const group = open.get(key);
    if (group) {
      group.siblings.push(n.nodeId);
      group.dispatch.priority = Math.max(group.dispatch.priority, n.priority);
      group.dispatch.retries = Math.max(group.dispatch.retries, n.retries);
      group.dispatch.timeoutMs = Math.max(group.dispatch.timeoutMs, n.timeoutMs);
      if (group.siblings.length >= most - 1) open.delete(key);
      continue;
    }
    const started = { dispatch: { ...n }, siblings: [] as string[] };
    out.push(started.dispatch);
    open.set(key, started);
    started.dispatch.siblings = started.siblings;
  }
  for (const n of out) if (n.siblings?.length === 0) delete n.siblings;
  return out;
}

/**
 * The lease the child at `index` of a group runs under: the delivery's own lease for the first (the message's
 * node), else `<message id>/<index>:<retried>`, so each child is the only node of its (virtual) message.
 * @param lease the delivery's lease, `<Upstash-Message-Id>:<Upstash-Retried>`.
 */
export function siblingLease(lease: string, index: number): string {
  if (index === 0) return lease;
  const colon = lease.lastIndexOf(":");
  return colon < 0 ? `${lease}/${index}` : `${lease.slice(0, colon)}/${index}${lease.slice(colon)}`;
}

/** The (virtual) message id of the child at `index` of a group, as {@link siblingLease} names it. */
export function siblingMessageId(messageId: string, index: number): string {
  return index === 0 ? messageId : `${messageId}/${index}`;
}
