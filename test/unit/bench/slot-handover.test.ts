import { describe, expect, it } from "vitest";
import { type HandoverMessage, type HandoverNode, slotHandover } from "../../../local/bench/slot-handover.js";

/**
 * One slot, three nodes of 100 ms: a runs 0–110 (claim 5 ms, output 5 ms), answers at 114; b's message was waiting
 * (created at 50), granted at 114; c's message was published late (at 240, after b's slot freed at 230).
 */
const nodes: HandoverNode[] = [
  { id: "a", startedAt: 2, finishedAt: 112, latencyMs: 100 },
  { id: "b", startedAt: 116, finishedAt: 226, latencyMs: 100 },
  { id: "c", startedAt: 243, finishedAt: 346, latencyMs: 100 },
];
const messages: HandoverMessage[] = [
  { nodeId: "a", messageId: "m_a", createdAt: 0, activeAt: 0, deliveredAt: 114 },
  { nodeId: "b", messageId: "m_b", createdAt: 50, activeAt: 114, deliveredAt: 230 },
  { nodeId: "c", messageId: "m_c", createdAt: 240, activeAt: 240, deliveredAt: 350 },
];

describe("slotHandover", () => {
  it("splits each node's slot time into receive, in-node and answer, and finds the late refill", () => {
    const h = slotHandover(nodes, messages, 1);
    expect(h.nodes).toBe(3);
    expect(h.receiveMs).toMatchObject({ count: 3, max: 3 });
    expect(h.receiveMs.mean).toBeCloseTo((2 + 2 + 3) / 3);
    expect(h.inNodeMs.mean).toBeCloseTo((10 + 10 + 3) / 3);
    expect(h.answerMs.mean).toBeCloseTo((2 + 4 + 4) / 3);
    // b and c are the grants after the first; only c waited, 10 ms from the free slot (230) to its grant (240)
    expect(h.refill.share).toBeCloseTo(0.5);
    expect(h.refill.waitMs).toMatchObject({ count: 1, max: 10 });
    expect(h.meanOverheadMs).toBeCloseTo((7 + 23 + 10 + 10) / 3);
    expect([h.deliveries, h.chainStepMs.count]).toEqual([3, 0]);
  });

  it("counts a delivery that ran a chain once for receive and answer, and the gaps between its nodes as chain steps", () => {
    // one delivery ran a (2–112), then b (114–224), then c (227–330), and answered at 333
    const chain: HandoverNode[] = [
      { id: "a", startedAt: 2, finishedAt: 112, latencyMs: 100 },
      { id: "b", startedAt: 114, finishedAt: 224, latencyMs: 100 },
      { id: "c", startedAt: 227, finishedAt: 330, latencyMs: 100 },
    ];
    const m = { messageId: "m_a", createdAt: 0, activeAt: 0, deliveredAt: 333 };
    const h = slotHandover(
      chain,
      ["a", "b", "c"].map((nodeId) => ({ nodeId, ...m })),
      1,
    );
    expect([h.nodes, h.deliveries]).toEqual([3, 1]);
    expect(h.receiveMs).toMatchObject({ count: 1, max: 2 });
    expect(h.answerMs).toMatchObject({ count: 1, max: 3 });
    expect(h.chainStepMs).toMatchObject({ count: 2, mean: 2.5, max: 3 });
    expect(h.meanOverheadMs).toBeCloseTo((2 + (10 + 10 + 3) + (2 + 3) + 3) / 3);
  });

  it("does not count a node waiting for its dependencies as a late refill", () => {
    // c's dependency finished at 250, after b's slot freed (230): c's message (240 → granted 255) waited 5 ms
    // from when c was ready, not 25 ms from the free slot
    const withDeps = nodes.map((n) => (n.id === "c" ? { ...n, readyAt: 250 } : n));
    const msgs = messages.map((m) => (m.nodeId === "c" ? { ...m, createdAt: 252, activeAt: 255 } : m));
    expect(slotHandover(withDeps, msgs, 1).refill.waitMs).toMatchObject({ count: 1, max: 5 });
    // a message created before the later of the two moments is not a late refill
    const early = messages.map((m) => (m.nodeId === "c" ? { ...m, createdAt: 245, activeAt: 255 } : m));
    expect(slotHandover(withDeps, early, 1).refill).toMatchObject({ share: 0, waitMs: { count: 0 } });
  });

  it("leaves out nodes without a message, and with more slots counts fewer grants as hand-overs", () => {
    const h = slotHandover(nodes, messages.slice(0, 2), 2);
    expect(h.nodes).toBe(2);
    expect(h.refill).toMatchObject({ share: 0, waitMs: { count: 0 } });
  });

  it("is empty for no nodes", () => {
    expect(slotHandover([], [], 4)).toMatchObject({ nodes: 0, meanOverheadMs: null, refill: { share: 0 } });
  });
});
