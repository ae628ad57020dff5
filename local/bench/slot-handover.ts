/**
 * Where a node's slot time goes beyond its latency, in a run whose concurrency is the limit: from the run view's
 * per-node start and end (stamped by the worker) and the QStash emulator's event log for the execute message whose
 * delivery ran each node (`CREATED` when published, `ACTIVE` when its flow-control slot is granted and it is sent,
 * `DELIVERED` when the worker's answer is back and the slot is free; docs/upstash-protocols.md B4). One delivery
 * may run a chain of nodes (shared/engine/delivery.ts): then its receive is before the first and its answer after
 * the last, and between them each node waits a chain step. All times are unix ms on one machine's clock, so each figure is
 * good to about 1 ms (workerd's clock moves only between I/O events).
 */
import { type Summary, summarize } from "./percentiles.js";

/** One node as the run view and the simulated latency give it (ms since epoch; latency in ms). */
export interface HandoverNode {
  id: string;
  startedAt: number;
  finishedAt: number;
  latencyMs: number;
  /** When its last dependency finished (ms since epoch); absent for a root. */
  readyAt?: number;
}

/** The emulator's events for the execute message whose delivery ran a node (unix ms). */
export interface HandoverMessage {
  nodeId: string;
  /** The QStash message id: nodes of one chain share it. */
  messageId: string;
  createdAt: number;
  activeAt: number;
  deliveredAt: number;
}

/** The split of a slot's time, ms per node (summaries over the nodes found in both inputs). */
export interface SlotHandover {
  /** Nodes with both a run-view entry and a message. */
  nodes: number;
  /** Deliveries (messages) those nodes ran in. */
  deliveries: number;
  /** Slot granted and message sent → the delivery's first node starts: the emulator signs and sends, the worker
   * verifies and claims. One per delivery. */
  receiveMs: Summary;
  /** The node's start → end, beyond its latency: input reads, routing, encoding the output. One per node. */
  inNodeMs: Summary;
  /** A chained node's start after the previous node of its delivery ended: that node's completion (which took it)
   * and its reads. One per chained node. */
  chainStepMs: Summary;
  /** The delivery's last node ends → its answer back at the emulator (slot free): the completion's request (and,
   * inline, the publish) and the answer. One per delivery. */
  answerMs: Summary;
  /**
   * Grants that had to wait for their message: the message was published after the slot it took had freed and
   * after its node was ready (the refill was late), with `waitMs` from the later of the two to the grant. A grant
   * whose message was already waiting is immediate and not counted here; nor is the time a node waited for its
   * dependencies (bwa's sink, say), which is the DAG's, not the hand-over's.
   */
  refill: { share: number; waitMs: Summary };
  /** Mean slot time per node beyond its latency: receives, in-node, chain steps, answers and refill waits, spread
   * over all nodes. */
  meanOverheadMs: number | null;
}

/**
 * Splits the slot time of a run's nodes. The slot a grant took is taken to be the latest one freed (`DELIVERED`) at
 * or before it; the first `concurrency` grants of the run took empty slots and count as neither waiting nor not.
 * @param concurrency the run's slots (flow-control parallelism), ≥ 1.
 * @returns the split; nodes missing from either input are left out.
 * @throws RangeError when a time is not finite (from `summarize`).
 */
export function slotHandover(
  nodes: readonly HandoverNode[],
  messages: readonly HandoverMessage[],
  concurrency: number,
): SlotHandover {
  const byNode = new Map(messages.map((m) => [m.nodeId, m]));
  const deliveries = new Map<string, { m: HandoverMessage; nodes: HandoverNode[] }>();
  for (const n of nodes) {
    const m = byNode.get(n.id);
    if (!m) continue;
    const d = deliveries.get(m.messageId) ?? { m, nodes: [] };
    d.nodes.push(n);
    deliveries.set(m.messageId, d);
  }
  const all = [...deliveries.values()].map((d) => ({
    m: d.m,
    nodes: [...d.nodes].sort((a, b) => a.startedAt - b.startedAt),
  }));
  const releases = all.map((d) => d.m.deliveredAt).sort((a, b) => a - b);
  const grants = [...all].sort((a, b) => a.m.activeAt - b.m.activeAt);
  const waits: number[] = [];
  let counted = 0;
  grants.forEach(({ m, nodes: ns }, i) => {
    if (i < concurrency) return;
    const freed = latestAtOrBefore(releases, m.activeAt);
    if (freed === null) return;
    counted += 1;
    const from = Math.max(freed, ns[0]?.readyAt ?? freed);
    if (m.createdAt > from) waits.push(m.activeAt - from);
  });
  const receive = all.map(({ m, nodes: ns }) => (ns[0] as HandoverNode).startedAt - m.activeAt);
  const answer = all.map(({ m, nodes: ns }) => m.deliveredAt - (ns.at(-1) as HandoverNode).finishedAt);
  const steps = all.flatMap(({ nodes: ns }) =>
    ns.slice(1).map((n, i) => n.startedAt - (ns[i] as HandoverNode).finishedAt),
  );
  const inNode = all.flatMap(({ nodes: ns }) => ns.map((n) => n.finishedAt - n.startedAt - n.latencyMs));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const count = inNode.length;
  return {
    nodes: count,
    deliveries: all.length,
    receiveMs: summarize(receive),
    inNodeMs: summarize(inNode),
    chainStepMs: summarize(steps),
    answerMs: summarize(answer),
    refill: { share: counted > 0 ? waits.length / counted : 0, waitMs: summarize(waits) },
    meanOverheadMs: count > 0 ? (sum(receive) + sum(inNode) + sum(steps) + sum(answer) + sum(waits)) / count : null,
  };
}

/** The largest value of ascending `sorted` that is ≤ `t`, or null. */
function latestAtOrBefore(sorted: readonly number[], t: number): number | null {
  let lo = 0;
  let hi = sorted.length - 1;
  let best: number | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= t) {
      best = sorted[mid] as number;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
