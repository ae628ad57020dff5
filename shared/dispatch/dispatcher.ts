import type { Client } from "@upstash/qstash";

/**
 * Where a node's result advances the DAG: `inline`, in the node's own `/internal/execute` request before it answers;
 * or `callback`, where execute records the completion (`complete_node`, in the same Redis request as the output
 * blob) and answers with the nodes it took, and QStash's success callback (`/internal/callback`), sent once execute
 * has answered, publishes them. The engine chooses it per run (shared/engine/advance-site.ts).
 */
export type AdvanceSite = "inline" | "callback";

/** One node to hand to QStash. */
export interface NodeDispatch {
  runId: string;
  nodeId: string;
  /** QStash retries after the first attempt (`Upstash-Retries`), 0..10. */
  retries: number;
  /** The node's timeout in ms (aborts the provider call); `Upstash-Timeout` is this plus {@link EXECUTE_MARGIN_MS},
   * in whole seconds rounded up, unless the run's deliveries chain (DispatchRun `deliveryTimeoutMs`). */
  timeoutMs: number;
  /** Dispatch priority: longest remaining path in ms; higher goes first when more nodes are ready than allowed. */
  priority: number;
  /** The node must call its provider again without reading the result cache (the `from` node of a rerun). */
  fresh?: boolean | undefined;
  /** Appended to the node's deduplication id: `.join` for an expanded map node's second message (its first, the
   * expansion's, used the plain id in the same generation: shared/engine/map-node.ts). */
  dedupSuffix?: string | undefined;
  /** More children of the same map that the message carries beside `nodeId` (shared/engine/sibling-groups.ts); its
   * deduplication id then also names them ({@link siblingsTag}). */
  siblings?: readonly string[] | undefined;
}

/** Run-wide dispatch settings. */
export interface DispatchRun {
  /** Public origin of the worker, e.g. `https://agent-dag.example.workers.dev` (no trailing slash). */
  baseUrl: string;
  /** Flow-control parallelism of the run: `runConcurrency(mode, concurrency)` (1 in `sequential` mode). */
  concurrency: number;
  /** Generation of the run's messages (its creation time, ms; each retry or rerun sets a new one, run meta
   * `generation`): a run re-created under the same id (idempotent retry after a failed start) or retried gets fresh
   * deduplication ids, so QStash does not drop its messages; every message carries it, and claim_node refuses a
   * message of an earlier generation. */
  generation: number;
  /** Where the run's nodes advance the DAG: `callback` adds a success callback to every message. */
  advance: AdvanceSite;
  /**
   * For a run whose deliveries may run chains of nodes (shared/engine/chain-policy.ts `deliveryTimeoutMs`): how long
   * a delivery may take, ms (the execute margin is added); its messages say `chain: true`. Null or absent: each
   * message times out after its own node's timeout (plus the margin) and runs that node only.
   */
  deliveryTimeoutMs?: number | null;
}

/** Hands ready nodes to the queue. A narrow interface so the engine can be tested without QStash. */
export interface Dispatcher {
  /**
   * Publishes one execute message per node; safe to repeat (deduplicated per node and dispatch generation).
   * @param repairKey set by the sweeper (shared/engine/sweeper.ts), unique per sweep: the messages get fresh
   *   deduplication ids (`<own id>.s.<repairKey>`), so QStash does not drop a re-offer of a node whose earlier
   *   message it still remembers; a second message for a node is harmless (claim_node).
   * @throws QstashError (or a network error) when the queue refuses; nothing about the run is changed.
   */
  dispatch(run: DispatchRun, nodes: readonly NodeDispatch[], repairKey?: string): Promise<number>;
  /**
   * Publishes one node again after `delaySeconds` (QStash `Upstash-Delay`), marked `waited` (the node is waiting for
   * an identical call in flight elsewhere) or `handedBack` (a delivery that ran it in a chain saw its attempt fail,
   * and hands it to a message of its own for the retries: shared/engine/delivery.ts). `key` makes the deduplication
   * id unique per deferral (the delivery's lease), so a duplicate delivery of the same message defers once; null
   * gives the node's own deduplication id ({@link deduplicationId}), for a node a chain ran, which never had a
   * message: a later publish of the node within QStash's deduplication window is then dropped as a duplicate.
   * @throws QstashError (or a network error) when the queue refuses.
   */
  defer(
    run: DispatchRun,
    node: NodeDispatch,
    delaySeconds: number,
    key: string | null,
    mark?: "waited" | "handedBack",
  ): Promise<void>;
  /**
   * Cancels the run's messages QStash still holds (queued, delayed or waiting for a retry), by the run's label
   * ({@link runLabel}); a message already being delivered is not stopped (claim_node refuses it when the run is
   * cancelled).
   * @returns how many messages QStash reported cancelled.
   * @throws QstashError (or a network error) when QStash refuses.
   */
  cancel(runId: string): Promise<number>;
  /**
   * Publishes one {@link TimerMessage}: delivered, signed, to a `/internal/*` route of the worker at `run.baseUrl` not
   * before its time, outside the run's flow control (it holds no slot) but with the run's label (a cancel removes it).
   * Safe to repeat: QStash drops a second publish with the same deduplication id.
   * @throws QstashError (or a network error) when the queue refuses.
   */
  timer(run: Pick<DispatchRun, "baseUrl">, t: TimerMessage): Promise<void>;
}

/** A message that fires once at a set time (a wait node's timeout: shared/engine/wait-node.ts). */
export interface TimerMessage {
  runId: string;
  /** Path of the signed route on the worker, e.g. `/internal/wait-timeout`. */
  path: string;
  /** JSON body (references only). */
  body: Record<string, unknown>;
  /** Not delivered before this time, ms since epoch (QStash `Upstash-Not-Before`, unix seconds: rounded up). */
  notBeforeMs: number;
  /** `Upstash-Deduplication-Id`. */
  deduplicationId: string;
  /** QStash retries after the first attempt (`Upstash-Retries`). */
  retries: number;
}

/** Body of an `/internal/execute` message: references only, so its size never depends on the data. */
export interface ExecuteMessage {
  runId: string;
  nodeId: string;
  /** Set on a deferred re-delivery, for whoever reads QStash's logs: the node waited for an identical call in
   * flight. The engine does not read it: the result cache counts the later hit as `shared` from its own waiter mark
   * (shared/cache/lua/lookup-or-lock.ts). */
  waited?: boolean;
  /** `callback` when the message carries a success callback: execute records the completion and answers the nodes
   * it took, which `/internal/callback` publishes. Absent: execute also publishes them itself (advance-site.ts). */
  advanceBy?: "callback";
  /** Set when the message's timeout leaves room for a chain (DispatchRun `deliveryTimeoutMs`): its delivery may go
   * on running the nodes its completions take (shared/engine/delivery.ts). */
  chain?: true;
  /** Set, for whoever reads QStash's logs, on the message of a node a chain handed back after a failed attempt. */
  handedBack?: true;
  /** The run's dispatch generation when it was published (DispatchRun `generation`): claim_node refuses a message of
   * an earlier try, and everything its delivery publishes uses it. Absent in messages from before it was sent. */
  generation?: number;
  /** Set on the `from` node of a rerun: it calls its provider without reading the result cache. */
  fresh?: true;
  /** More children of the same map, which the delivery runs beside `nodeId` (shared/engine/sibling-groups.ts). */
  siblings?: readonly string[];
}

/**
 * Most messages per `POST /v2/batch` request. QStash documents no fixed cap; 100 keeps each request small and is
 * the batch size Upstash's own examples use.
 */
export const BATCH_SIZE = 100;

/**
 * Label of every message of a run (QStash `Upstash-Label`), by which `POST /v1/runs/:id/cancel` cancels the run's
 * messages QStash still holds (`DELETE /v2/messages?label=…`).
 */
export function runLabel(runId: string): string {
  return `agent-dag.${runId}`;
}

/**
 * Most messages one filtered cancel request cancels: the `count` @upstash/qstash 2.12 sends by default
 * (`DEFAULT_BULK_COUNT`); while an answer reaches it, the dispatcher asks again.
 */
export const CANCEL_PAGE = 100;

/** Flow-control key of a run: every message of one run shares it, so QStash enforces the run's parallelism. */
export function flowControlKey(runId: string): string {
  return `agent-dag.${runId}`;
}

/**
 * Time `/internal/execute` may take beyond the node's timeout, ms: the provider call may use all of the timeout (its
 * abort signal), and the attempt still settles the budget, runs `complete_node` with the output's write and,
 * advancing inline, the publish. `Upstash-Timeout` is the node's timeout plus this margin (for a chaining run, the
 * run's delivery timeout plus this margin), so QStash does not time out an attempt that finished its call in time.
 */
export const EXECUTE_MARGIN_MS = 10_000;

/**
 * One execute message: failure callback, retries, timeout, dedup id and the run's flow-control key, plus a success
 * callback (and `advanceBy: "callback"` in the body) when the run advances in the callback (advance-site.ts), and
 * `chain: true` with the run's delivery timeout when its deliveries may run chains.
 */
function message(run: DispatchRun, n: NodeDispatch, body: ExecuteMessage, dedup: string) {
  const byCallback = run.advance === "callback";
  const chainMs = run.deliveryTimeoutMs ?? null;
  return {
    url: `${run.baseUrl}/internal/execute`,
    body: {
      ...body,
      generation: run.generation,
      ...(byCallback ? { advanceBy: "callback" as const } : {}),
      ...(chainMs !== null ? { chain: true as const } : {}),
    },
    ...(byCallback ? { callback: `${run.baseUrl}/internal/callback` } : {}),
    failureCallback: `${run.baseUrl}/internal/failure`,
    retries: n.retries,
    timeout: Math.ceil(((chainMs ?? n.timeoutMs) + EXECUTE_MARGIN_MS) / 1000),
    deduplicationId: dedup,
    flowControl: { key: flowControlKey(n.runId), parallelism: run.concurrency },
    label: runLabel(n.runId),
  };
}

/**
 * A short, stable tag of a message's sibling nodes for its deduplication id (32-bit FNV-1a of the ids, hex): two
 * messages that start with the same node but carry different siblings must not share an id, or QStash would drop the
 * second. FNV-1a: http://www.isthe.com/chongo/tech/comp/fnv/ (offset basis 2166136261, prime 16777619).
 */
export function siblingsTag(siblings: readonly string[]): string {
  let h = 2166136261;
  const text = siblings.join("\u0000");
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * Deduplication id of a node's dispatch (`Upstash-Deduplication-Id`): a second publish of the same node in the same
 * generation (the run's creation time) is dropped by QStash within its deduplication window, so re-publishing after
 * a lost callback does not run a node twice. A node a chain ran never had this message; when the chain gives it
 * back (a deferral or a hand-back), that message uses this id (Dispatcher `defer` with key null). A message that
 * carries siblings adds their tag ({@link siblingsTag}): a re-offer that groups the same nodes otherwise is a second
 * message, which claim_node makes harmless.
 */
export function deduplicationId(runId: string, nodeId: string, generation: number): string {
  return `${runId}.${nodeId}.g${generation}`;
}

/**
 * Dispatcher over `@upstash/qstash`: ready nodes go out in batch requests (at most {@link BATCH_SIZE} each), each
 * message with a failure callback (and a success callback when the run advances there), retries, timeout, a
 * deduplication id and the run's flow-control key, so that QStash does the waiting (docs/upstash-protocols.md B2,
 * B5). Longest remaining path first, so that when the run's concurrency is the limit the critical chain is not
 * starved.
 */
export class QStashDispatcher implements Dispatcher {
  /** @param client a QStash client (real or the local emulator's URL). */
  /**
   * @param traceparent with tracing on (shared/telemetry/run-tracer.ts `traceparent`): the W3C `traceparent` of a
   *   message of the run, sent as a forwarded header (`Upstash-Forward-traceparent`); absent, messages carry none.
   */
  constructor(
    private readonly client: Pick<Client, "batchJSON"> & Partial<Pick<Client, "messages">>,
    private readonly traceparent?: (runId: string) => string,
  ) {}

  /** The message with its `traceparent` header when tracing is on; unchanged otherwise. */
  private traced<M extends object>(m: M, runId: string): M | (M & { headers: Record<string, string> }) {
    return this.traceparent ? { ...m, headers: { traceparent: this.traceparent(runId) } } : m;
  }

  async dispatch(run: DispatchRun, nodes: readonly NodeDispatch[], repairKey?: string): Promise<number> {
    if (nodes.length === 0) return 0;
    const ordered = [...nodes].sort((a, b) => b.priority - a.priority);
    const suffix = repairKey === undefined ? "" : `.s.${repairKey.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
    const requests = ordered.map((n) =>
      this.traced(
        message(
          run,
          n,
          {
            runId: n.runId,
            nodeId: n.nodeId,
            ...(n.siblings?.length ? { siblings: n.siblings } : {}),
            ...(n.fresh ? { fresh: true as const } : {}),
          },
          `${deduplicationId(n.runId, n.nodeId, run.generation)}${n.siblings?.length ? `.with.${siblingsTag(n.siblings)}` : ""}${n.dedupSuffix ?? ""}${suffix}`,
        ),
        n.runId,
      ),
    );
    for (let i = 0; i < requests.length; i += BATCH_SIZE) {
      await this.client.batchJSON(requests.slice(i, i + BATCH_SIZE));
    }
    return requests.length;
  }

  async defer(
    run: DispatchRun,
    node: NodeDispatch,
    delaySeconds: number,
    key: string | null,
    mark: "waited" | "handedBack" = "waited",
  ): Promise<void> {
    const body: ExecuteMessage = {
      runId: node.runId,
      nodeId: node.nodeId,
      ...(mark === "waited" ? { waited: true } : { handedBack: true as const }),
    };
    const own = `${deduplicationId(node.runId, node.nodeId, run.generation)}${node.dedupSuffix ?? ""}`;
    const dedup =
      key === null ? own : `${own}.${mark === "waited" ? "w" : "h"}.${key.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
    await this.client.batchJSON([
      this.traced({ ...message(run, node, body, dedup), delay: Math.max(1, Math.ceil(delaySeconds)) }, node.runId),
    ]);
  }

  async timer(run: Pick<DispatchRun, "baseUrl">, t: TimerMessage): Promise<void> {
    await this.client.batchJSON([
      {
        url: `${run.baseUrl}${t.path}`,
        body: t.body,
        notBefore: Math.ceil(t.notBeforeMs / 1000),
        retries: t.retries,
        deduplicationId: t.deduplicationId.replace(/[^A-Za-z0-9_.-]/g, "_"),
        label: runLabel(t.runId),
      },
    ]);
  }

  async cancel(runId: string): Promise<number> {
    const messages = this.client.messages;
    if (!messages) throw new Error("this QStash client cannot cancel messages");
    let total = 0;
    // QStash documents a filtered cancel as processing every match; a server that caps one request at `count`
    // answers exactly that many, so ask again until fewer come back (at most 50 pages)
    for (let page = 0; page < 50; page++) {
      const { cancelled } = await messages.cancel({ filter: { label: runLabel(runId) }, count: CANCEL_PAGE });
      total += cancelled;
      if (cancelled < CANCEL_PAGE) break;
    }
    return total;
  }
}
