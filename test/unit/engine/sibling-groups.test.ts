import { describe, expect, it } from "vitest";
import { QStashDispatcher, siblingsTag } from "../../../shared/dispatch/dispatcher.js";
import {
  groupSiblings,
  MAX_NODES_PER_MESSAGE,
  siblingGroupSize,
  siblingLease,
  siblingMessageId,
} from "../../../shared/engine/sibling-groups.js";
import { executeMessageSchema } from "../../../shared/schema/qstash-callback.js";

const node = (nodeId: string, over: Record<string, unknown> = {}) => ({
  runId: "run_1",
  nodeId,
  retries: 2,
  timeoutMs: 1000,
  priority: 5,
  ...over,
});

/** shared/engine/sibling-groups.ts: a map's ready children share messages, up to MAX_NODES_PER_MESSAGE each. */
describe("sibling groups", () => {
  it("puts the children of one map up to four to a message, and leaves other nodes alone", () => {
    const ids = ["m[0]", "m[1]", "a", "m[2]", "m[3]", "m[4]", "n[0]", "m[5]"];
    const out = groupSiblings(ids.map((id) => node(id)));
    expect(MAX_NODES_PER_MESSAGE).toBe(4);
    expect(out.map((n) => [n.nodeId, n.siblings ?? []])).toEqual([
      ["m[0]", ["m[1]", "m[2]", "m[3]"]],
      ["a", []],
      ["m[4]", ["m[5]"]],
      ["n[0]", []],
    ]);
    // every node is in exactly one message
    expect(out.flatMap((n) => [n.nodeId, ...(n.siblings ?? [])]).sort()).toEqual([...ids].sort());
  });

  it("a group takes the highest priority, retries and timeout of its children; fresh and suffixed nodes stay alone", () => {
    const out = groupSiblings([
      node("m[0]", { priority: 1 }),
      node("m[1]", { priority: 9, retries: 3, timeoutMs: 2000 }),
      node("m[2]", { fresh: true }),
      node("m[3]", { dedupSuffix: ".join" }),
    ]);
    expect(out).toEqual([
      { ...node("m[0]"), priority: 9, retries: 3, timeoutMs: 2000, siblings: ["m[1]"] },
      node("m[2]", { fresh: true }),
      node("m[3]", { dedupSuffix: ".join" }),
    ]);
  });

  it("groups only in a run whose deliveries chain and advance inline, never past its nodesPerDelivery", () => {
    const chaining = { advance: "inline" as const, deliveryTimeoutMs: 70_000 };
    expect(siblingGroupSize(chaining, 8)).toBe(4);
    expect(siblingGroupSize(chaining, 3)).toBe(3);
    expect(siblingGroupSize(chaining, 1)).toBe(1);
    // a run without chains keeps a message ahead (prefetch): a group could run more nodes than its slots
    expect(siblingGroupSize({ advance: "inline", deliveryTimeoutMs: null }, 8)).toBe(1);
    // a success callback reports one node's attempt
    expect(siblingGroupSize({ advance: "callback", deliveryTimeoutMs: 70_000 }, 8)).toBe(1);
    const ids = ["m[0]", "m[1]", "m[2]", "m[3]", "m[4]"];
    expect(
      groupSiblings(
        ids.map((id) => node(id)),
        2,
      ).map((n) => n.siblings ?? []),
    ).toEqual([["m[1]"], ["m[3]"], []]);
    expect(
      groupSiblings(
        ids.map((id) => node(id)),
        1,
      ).every((n) => n.siblings === undefined),
    ).toBe(true);
  });

  it("names each child's lease and message after the group's message, the first keeping the delivery's own", () => {
    expect(siblingLease("msg_9:2", 0)).toBe("msg_9:2");
    expect(siblingLease("msg_9:2", 3)).toBe("msg_9/3:2");
    expect(siblingMessageId("msg_9", 0)).toBe("msg_9");
    expect(siblingMessageId("msg_9", 3)).toBe("msg_9/3");
  });

  it("the message carries the siblings, and its deduplication id names them", async () => {
    const batches: Record<string, unknown>[][] = [];
    const client = { batchJSON: async (items: Record<string, unknown>[]) => void batches.push(items) };
    const d = new QStashDispatcher(client as never);
    await d.dispatch({ baseUrl: "https://w.example", concurrency: 8, generation: 7, advance: "inline" }, [
      { ...node("m[0]"), siblings: ["m[1]", "m[2]"] },
      { ...node("m[0]"), siblings: ["m[3]"] },
    ]);
    const [a, b] = batches[0] ?? [];
    expect(a).toMatchObject({
      body: { runId: "run_1", nodeId: "m[0]", siblings: ["m[1]", "m[2]"] },
      deduplicationId: `run_1.m[0].g7.with.${siblingsTag(["m[1]", "m[2]"])}`,
    });
    // the same first child with other siblings must not be dropped as a duplicate
    expect(b?.["deduplicationId"]).not.toBe(a?.["deduplicationId"]);
    expect(siblingsTag(["m[1]", "m[2]"])).toMatch(/^[0-9a-f]{8}$/);
  });

  it("an execute message holds at most three siblings", () => {
    const base = { runId: `run_${"0".repeat(26)}`, nodeId: "m[0]" };
    expect(executeMessageSchema.safeParse({ ...base, siblings: ["m[1]", "m[2]", "m[3]"] }).success).toBe(true);
    expect(executeMessageSchema.safeParse({ ...base, siblings: ["m[1]", "m[2]", "m[3]", "m[4]"] }).success).toBe(false);
    expect(executeMessageSchema.safeParse({ ...base, siblings: [] }).success).toBe(false);
  });
});
