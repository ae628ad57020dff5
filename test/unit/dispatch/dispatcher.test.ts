import { describe, expect, it } from "vitest";
import {
  BATCH_SIZE,
  CANCEL_PAGE,
  deduplicationId,
  flowControlKey,
  QStashDispatcher,
  runLabel,
} from "../../../shared/dispatch/dispatcher.js";

type Item = Record<string, unknown> & { body: { runId: string; nodeId: string } };

function fakeClient() {
  const batches: Item[][] = [];
  return {
    batches,
    client: {
      batchJSON: async (items: unknown[]) => {
        batches.push(items as Item[]);
        return items.map((_, i) => ({ messageId: `msg_${i}` }));
      },
    },
  };
}

describe("QStashDispatcher", () => {
  it("publishes one message per node with a failure callback (no success callback), retries, timeout, dedup id and the run's flow-control key", async () => {
    const { batches, client } = fakeClient();
    const d = new QStashDispatcher(client as never);
    const n = await d.dispatch({ baseUrl: "https://w.example", concurrency: 4, generation: 7, advance: "inline" }, [
      { runId: "run_1", nodeId: "a", retries: 2, timeoutMs: 1500, priority: 1 },
    ]);
    expect(n).toBe(1);
    expect(batches).toEqual([
      [
        {
          url: "https://w.example/internal/execute",
          // the run's dispatch generation travels too: claim_node refuses a message of an earlier try
          body: { runId: "run_1", nodeId: "a", generation: 7 },
          failureCallback: "https://w.example/internal/failure",
          retries: 2,
          // the node's 1.5 s plus EXECUTE_MARGIN_MS (10 s) for storing the output and advancing, rounded up
          timeout: 12,
          deduplicationId: "run_1.a.g7",
          flowControl: { key: flowControlKey("run_1"), parallelism: 4 },
          // the run's label, by which a cancel removes its messages from QStash
          label: runLabel("run_1"),
        },
      ],
    ]);
  });

  it("adds a success callback, and says so in the body, when the run advances in the callback", async () => {
    const { batches, client } = fakeClient();
    await new QStashDispatcher(client as never).dispatch(
      { baseUrl: "https://w.example", concurrency: 4, generation: 7, advance: "callback" },
      [{ runId: "run_1", nodeId: "a", retries: 2, timeoutMs: 1500, priority: 1 }],
    );
    expect(batches[0]?.[0]).toMatchObject({
      body: { runId: "run_1", nodeId: "a", advanceBy: "callback" },
      callback: "https://w.example/internal/callback",
      failureCallback: "https://w.example/internal/failure",
    });
  });

  it("for a run whose deliveries may chain, says so in the body and times every message out after the run's delivery timeout", async () => {
    const { batches, client } = fakeClient();
    const run = {
      baseUrl: "https://w.example",
      concurrency: 4,
      generation: 7,
      advance: "callback" as const,
      deliveryTimeoutMs: 180_000,
    };
    await new QStashDispatcher(client as never).dispatch(run, [
      { runId: "run_1", nodeId: "a", retries: 2, timeoutMs: 1500, priority: 1 },
    ]);
    // 120 s (longest node timeout) + 60 s window, given by the caller, plus EXECUTE_MARGIN_MS (10 s)
    expect(batches[0]?.[0]).toMatchObject({
      body: { runId: "run_1", nodeId: "a", advanceBy: "callback", chain: true },
      timeout: 190,
    });
    // a node a chain hands back gets a delayed message of its own, marked, with its own deduplication id
    await new QStashDispatcher(client as never).defer(
      run,
      { runId: "run_1", nodeId: "b", retries: 1, timeoutMs: 1500, priority: 1 },
      12,
      "msg_9:0",
      "handedBack",
    );
    expect(batches[1]?.[0]).toMatchObject({
      body: { runId: "run_1", nodeId: "b", handedBack: true, advanceBy: "callback", chain: true },
      retries: 1,
      delay: 12,
      deduplicationId: "run_1.b.g7.h.msg_9_0",
    });
    // without a key (a node a chain ran, which never had a message), the node's own deduplication id: a later
    // publish of the node is a duplicate of this one
    await new QStashDispatcher(client as never).defer(
      run,
      { runId: "run_1", nodeId: "b", retries: 1, timeoutMs: 1500, priority: 1 },
      12,
      null,
      "handedBack",
    );
    expect(batches[2]?.[0]).toMatchObject({ deduplicationId: deduplicationId("run_1", "b", 7) });
  });

  it("gives a run re-created under the same id (another generation) new deduplication ids", () => {
    expect(deduplicationId("run_1", "a", 7)).toBe("run_1.a.g7");
    expect(deduplicationId("run_1", "a", 8)).not.toBe(deduplicationId("run_1", "a", 7));
  });

  it("orders by longest remaining path first and splits into batches of BATCH_SIZE", async () => {
    const { batches, client } = fakeClient();
    const nodes = Array.from({ length: BATCH_SIZE + 5 }, (_, i) => ({
      runId: "run_1",
      nodeId: `n${i}`,
      retries: 0,
      timeoutMs: 1000,
      priority: i,
    }));
    await new QStashDispatcher(client as never).dispatch(
      { baseUrl: "http://x", concurrency: 1, generation: 7, advance: "inline" },
      nodes,
    );
    expect(batches.map((b) => b.length)).toEqual([BATCH_SIZE, 5]);
    const order = batches.flat().map((m) => m.body.nodeId);
    expect(order[0]).toBe(`n${BATCH_SIZE + 4}`);
    expect(order.at(-1)).toBe("n0");
  });

  it("keeps message bodies the same size whatever the data: only ids travel", async () => {
    const { batches, client } = fakeClient();
    await new QStashDispatcher(client as never).dispatch(
      { baseUrl: "http://x", concurrency: 1, generation: 7, advance: "inline" },
      [{ runId: "run_1", nodeId: "a", retries: 0, timeoutMs: 1000, priority: 0 }],
    );
    expect(Object.keys(batches[0]?.[0]?.body ?? {})).toEqual(["runId", "nodeId", "generation"]);
  });

  it("marks a rerun's fresh node in its body", async () => {
    const { batches, client } = fakeClient();
    await new QStashDispatcher(client as never).dispatch(
      { baseUrl: "http://x", concurrency: 1, generation: 9, advance: "inline" },
      [
        { runId: "run_1", nodeId: "a", retries: 0, timeoutMs: 1000, priority: 1, fresh: true },
        { runId: "run_1", nodeId: "b", retries: 0, timeoutMs: 1000, priority: 0 },
      ],
    );
    expect(batches[0]?.map((m) => m.body)).toEqual([
      { runId: "run_1", nodeId: "a", fresh: true, generation: 9 },
      { runId: "run_1", nodeId: "b", generation: 9 },
    ]);
    expect(batches[0]?.[0]?.deduplicationId).toBe(deduplicationId("run_1", "a", 9));
  });

  it("cancels the run's messages by label, asking again while a page comes back full", async () => {
    const asked: unknown[] = [];
    const answers = [CANCEL_PAGE, CANCEL_PAGE, 7];
    const client = {
      batchJSON: async () => [],
      messages: {
        cancel: async (req: unknown) => {
          asked.push(req);
          return { cancelled: answers.shift() ?? 0 };
        },
      },
    };
    expect(await new QStashDispatcher(client as never).cancel("run_1")).toBe(2 * CANCEL_PAGE + 7);
    expect(asked).toHaveLength(3);
    expect(asked[0]).toEqual({ filter: { label: runLabel("run_1") }, count: CANCEL_PAGE });
  });

  it("publishes nothing for no nodes", async () => {
    const { batches, client } = fakeClient();
    expect(
      await new QStashDispatcher(client as never).dispatch(
        { baseUrl: "http://x", concurrency: 1, generation: 7, advance: "inline" },
        [],
      ),
    ).toBe(0);
    expect(batches).toEqual([]);
  });
});
