/**
 * Where a node's slot time goes beyond its latency, in a run whose concurrency is the limit: from the run view's
 * per-node start and end (stamped by the worker) and the QStash emulator's event log for each node's execute message
 * (`CREATED` when published, `ACTIVE` when its flow-control slot is granted and it is sent, `DELIVERED` when the
 * worker's answer is back and the slot is free; upstash-protocols.md B4). All times are unix ms on one machine's
 * clock, so each figure is good to about 1 ms (workerd's clock moves only between I/O events).
 */
import { summarize, type Summary } from "./percentiles.js";

/** One node as the run view and the simulated latency give it (ms since epoch; latency in ms). */
export interface HandoverNode {
  id: string;
  startedAt: number;
  finishedAt: number;
  latencyMs: number;
}

/** The emulator's events for the execute message that ran a node (unix ms). */
export interface HandoverMessage {
  nodeId: string;
  createdAt: number;
  activeAt: number;
  deliveredAt: number;
}

/** The split of a slot's time, ms per node (summaries over the nodes found in both inputs). */
export interface SlotHandover {
  /** Nodes with both a run-view entry and a message. */
  nodes: number;
  /** Slot granted and message sent → the node's start in execute: the emulator signs and sends, the worker verifies. */
  receiveMs: Summary;
  /** The node's start → end, beyond its latency: claim (and input reads), routing, encoding the output. */
  inNodeMs: Summary;
  /** The node's end → its answer back at the emulator (slot free): the completion's request (and, inline, the publish) and the answer. */
  answerMs: Summary;
  /**
   * Grants that had to wait for their message: the message was published after the slot it took had freed (the
   * refill was late), with `waitMs` from that free slot to the grant. A grant whose message was already waiting is
   * immediate and not counted here.
   */
  refill: { share: number; waitMs: Summary };
  /** Mean slot time per node beyond its latency: receive + in-node + answer + refill waits spread over all nodes. */
  meanOverheadMs: number | null;
}

/**
 * Splits the slot time of a run's nodes. The slot a grant took is taken to be the latest one freed (`DELIVERED`) at
 * or before it; the first `concurrency` grants of the run took empty slots and count as neither waiting nor not.
 * @param concurrency the run's slots (flow-control parallelism), ≥ 1.
 * @returns the split; nodes missing from either input are left out.
 * @throws RangeError when a time is not finite (from `summarize`).
 */
export function slotHandover(nodes: readonly HandoverNode[], messages: readonly HandoverMessage[], concurrency: number): SlotHandover {
  const byNode = new Map(messages.map((m) => [m.nodeId, m]));
  const pairs = nodes.flatMap((n) => {
    const m = byNode.get(n.id);
    return m ? [{ n, m }] : [];
  });
  const releases = pairs.map((p) => p.m.deliveredAt).sort((a, b) => a - b);
  const grants = [...pairs].sort((a, b) => a.m.activeAt - b.m.activeAt);
  const waits: number[] = [];
  let counted = 0;
  grants.forEach(({ m }, i) => {
    if (i < concurrency) return;
    const freed = latestAtOrBefore(releases, m.activeAt);
    if (freed === null) return;
    counted += 1;
    if (m.createdAt > freed) waits.push(m.activeAt - freed);
  });
  const receive = pairs.map(({ n, m }) => n.startedAt - m.activeAt);
  const inNode = pairs.map(({ n }) => n.finishedAt - n.startedAt - n.latencyMs);
  const answer = pairs.map(({ n, m }) => m.deliveredAt - n.finishedAt);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    nodes: pairs.length,
    receiveMs: summarize(receive),
    inNodeMs: summarize(inNode),
    answerMs: summarize(answer),
    refill: { share: counted > 0 ? waits.length / counted : 0, waitMs: summarize(waits) },
    meanOverheadMs: pairs.length > 0 ? (sum(receive) + sum(inNode) + sum(answer) + sum(waits)) / pairs.length : null,
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
