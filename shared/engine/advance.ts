import type { PreparedBlob } from "../blobs/blob-store.js";
import { EXECUTE_MARGIN_MS } from "../dispatch/dispatcher.js";
import { httpHoldMs } from "../http/http-call.js";
import { resolveFailurePolicy, resolveNodeSettings } from "../schema/node-settings.js";
import { type ExecuteCompletion, executeCompletionSchema } from "../schema/qstash-callback.js";
import type { TransitionResult } from "../state/run-store.js";
import { ABORT_POLL_MS, abortRun } from "./abort-registry.js";
import { liveBlobTtlSeconds, retainRunBlobs } from "./blob-retention.js";
import { dispatchNodes } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import type { ExecuteResult } from "./execute-node.js";
import { recoverRunHolds } from "./recover-holds.js";
import { cancelRun } from "./run-actions.js";
import { type LoadedRun, loadRun } from "./run-cache.js";
import { cancelChildRuns, notifyParent } from "./sub-workflow-node.js";

/** What a QStash callback (after each attempt) or failure callback (retries exhausted) says about one delivery. */
export interface DeliveryReport {
  runId: string;
  nodeId: string;
  /** HTTP status `/internal/execute` answered (0 when there was no response). */
  status: number;
  /** Its response body, decoded from base64 (may be truncated by QStash). */
  body: string;
  /** `Upstash-Retried` of the attempt and the message's `maxRetries`. */
  retried: number;
  maxRetries: number;
  /** QStash message id of the execute message. */
  messageId: string;
  /**
   * `Upstash-Retried` of the callback request itself (0 for its first delivery). A retried callback may come after
   * QStash's deduplication window (10 minutes in its docs; docs/upstash-protocols.md, flagged point 2), so it publishes
   * only what Redis says is still `queued`, not the answer's list, some of whose nodes may be running by then.
   * (A node still `queued` may also still have its message waiting for a slot; past the window, publishing it again
   * is the same risk every repeat path of the run store takes.)
   */
  callbackRetried?: number;
  /** The execute message's dispatch generation (absent in messages from before it was sent). */
  generation?: number | undefined;
}

/**
 * What the callback did, for logs and tests: `published` when `/internal/execute` had recorded the completion and
 * the callback published what it took (`applied` as execute reported it; false when read back from Redis);
 * `completed` when the callback recorded it (an execute answer from before execute recorded completions, or
 * `completeExecuted` inline).
 */
export type AdvanceOutcome =
  | { kind: "published"; applied: boolean; dispatched: number; runStatus: string }
  | { kind: "completed"; applied: boolean; dispatched: number; runStatus: string }
  | { kind: "retrying"; applied: boolean }
  | { kind: "failed"; applied: boolean; runStatus: string; skipped: string[]; dispatched: number }
  | { kind: "ignored"; reason: string };

/** Status with which `/internal/execute` marks a failure QStash must not retry (docs/upstash-protocols.md B5). */
export const NON_RETRYABLE_STATUS = 489;

/**
 * Advances the DAG after one attempt of a node, as QStash's success callback reports it (`/internal/callback`, for
 * runs that advance in the callback: advance-site.ts):
 * - 2xx with its `completion`: execute recorded the (last) completion; publish the nodes it took, now that the slot
 *   is free, with no Redis request (unless the run is not cached in the isolate); a duplicate publishes them again;
 * - 2xx without `completion` (an answer from before execute recorded completions): complete the node once and
 *   publish what it took, or, when it is already done, what that completion took that is still `queued`;
 * - 2xx whose list is missing or may be stale (unreadable or truncated answer, `dispatch: null`, a retried
 *   callback, a skipped delivery): publish what the node's finished transition, and each chain link after it, took
 *   that is still `queued` (offer_again, read only); for a node not finished, nothing;
 * - 489 non-retryable, or a failure with retries exhausted: fail the node, skip its descendants;
 * - 429 `node-busy` (another attempt holds the node) with retries left: nothing;
 * - any other failure: mark the node `retrying` (QStash retries it).
 * @throws when Redis or QStash fail, so that QStash retries the callback; every step is idempotent.
 */
export async function advance(engine: Engine, report: DeliveryReport): Promise<AdvanceOutcome> {
  const { runId, nodeId, generation } = report;
  const ok = report.status >= 200 && report.status < 300;
  if (ok) {
    const parsed = parseResult(report.body);
    // an answer from before execute recorded completions: complete_node applies it here
    if (parsed !== "unreadable" && parsed !== "skipped" && !parsed.completion)
      return completeExecuted(engine, { ...parsed.result, runId, nodeId }, null, generation);
    const listed = parsed === "unreadable" || parsed === "skipped" ? null : parsed.completion;
    if (listed?.dispatch && (report.callbackRetried ?? 0) === 0) {
      const { applied, runStatus, dispatch } = listed;
      const dispatched = await publishTaken(engine, runId, dispatch, generation);
      return { kind: "published", applied, runStatus, dispatched };
    }
    // execute recorded the completion, but its list is missing (truncated answer, over 32 nodes, or a skipped
    // delivery of a node another attempt finished) or may be stale (a retried callback): publish what Redis says
    // that completion took and is still queued
    const again = await engine.store.offerAgain(runId, nodeId, report.messageId);
    if (again.nodeStatus !== "done" && again.nodeStatus !== "failed") {
      if (parsed === "skipped") return { kind: "ignored", reason: `delivery skipped; node ${again.nodeStatus}` };
      console.warn(
        `callback ${runId}/${nodeId}: answer without a usable list for a node that is ${again.nodeStatus}; nothing to publish`,
      );
      return { kind: "ignored", reason: `no list in the answer; node ${again.nodeStatus}` };
    }
    return {
      kind: "published",
      applied: false,
      runStatus: again.runStatus,
      dispatched: await publishTaken(engine, runId, again.dispatch, generation),
    };
  }
  const error = errorMessage(report);
  // the delivery found the node held by another attempt (the same delivery sent twice, an older attempt): that
  // attempt's lease may be this one's, so marking it retrying would let a retry run it beside its holder
  if (isNodeBusy(report.body) && report.retried < report.maxRetries)
    return { kind: "ignored", reason: "node held by another attempt" };
  if (report.status === NON_RETRYABLE_STATUS || report.retried >= report.maxRetries) {
    return fail(engine, runId, nodeId, error, undefined, report.messageId, generation);
  }
  const applied = await engine.store.retryNode(runId, nodeId, error, `${report.messageId}:${report.retried}`);
  return { kind: "retrying", applied };
}

/**
 * Records a node's result once (complete_node, Lua) and returns the nodes its completion took for dispatch, without
 * publishing them. When the output blob's writes are still to send (`unwritten`), they go first in the same request,
 * so a completion costs one Redis round trip; when that request fails, the blob is written again on its own before
 * the request's error is thrown (the completion may have been recorded, and a retry of the delivery finds the node
 * done; if that write fails too, it is logged, and the output may be missing for the node's dependents). A
 * repeat (the node is already done) changes nothing and returns what that completion took but is still `queued`.
 * @param chainLease the delivery's lease when it may go on to run the next node itself (delivery.ts): the
 *   highest-priority node taken comes back as `chained`, already `running` under that lease, not in `dispatch`.
 * @param generation the delivery's message generation: a completion from an earlier try changes nothing.
 * @throws UpstashError when Redis fails (after the client's own retries of network errors: 5 with backoff by default
 *   in `@upstash/redis`).
 */
export async function recordCompletion(
  engine: Engine,
  result: ExecuteResult,
  unwritten: PreparedBlob | null = null,
  chainLease?: string,
  generation?: number,
): Promise<TransitionResult> {
  const completion = {
    outputRef: result.ref,
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    cacheReadTokens: result.usage.cacheReadTokens,
    cacheWriteTokens: result.usage.cacheWriteTokens,
    costMicroUsd: result.costMicroUsd,
    route: result.route ? routeField(result.route) : undefined,
    cache: result.cache ?? undefined,
    paidAttempt: result.paidAttempt ?? undefined,
    model: result.model,
    excerpt: result.excerpt,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
  };
  if (!unwritten)
    return bookIfFinished(
      engine,
      result.runId,
      await engine.store.completeNode(result.runId, result.nodeId, completion, { chainLease, generation }),
    );
  try {
    const t = await engine.store.completeNode(result.runId, result.nodeId, completion, {
      first: (p) => unwritten.queueWrites(p),
      chainLease,
      generation,
    });
    return await bookIfFinished(engine, result.runId, t);
  } catch (err) {
    // the pipeline does not stop at an error: complete_node may have recorded the ref although the blob's write
    // failed, and a retry would then find the node done and never write it; so write it alone before giving up
    await engine.blobs.write(unwritten).catch((writeErr: unknown) => {
      console.error(
        `completion ${result.runId}/${result.nodeId}: the output blob's own write failed too (${String(writeErr)})`,
      );
    });
    throw err;
  }
}

/**
 * Extends the finished run's input and output blobs to its retention from now (blob-retention.ts), when the run lasted
 * long enough for one of them to expire before its keys: a blob is written with the retention plus two sweeper periods
 * (`liveBlobTtlSeconds`), so a run that finished within two periods of its start needs nothing, and sends nothing.
 * Best effort (logged); one HMGET and one pipeline, once per longer run, after its last transition.
 */
async function keepFinishedRunBlobs(engine: Engine, runId: string, run: LoadedRun): Promise<void> {
  const marginMs = (liveBlobTtlSeconds(engine.config) - engine.config.retentionSeconds) * 1000;
  if (engine.now() - run.frozen.createdAt <= marginMs) return;
  const refs = await engine.store.readRefs(runId, [...run.nodes.keys()]).catch(() => ({}));
  await retainRunBlobs(engine, runId, [run.frozen.inputRef, ...Object.values(refs)]);
}

/**
 * When transition `t` finished the run, extends its blobs to the retention (keepFinishedRunBlobs), books the calls
 * whose answer never reached the run's books at their reserved worst case (RunStore `bookUnrecorded`) and closes the
 * run's budget holds from its books (recover-holds.ts `recoverRunHolds`; nothing for a run without budgets): every
 * attempt is over; a child run then decides its parent's workflow node (sub-workflow-node.ts `notifyParent`). Best effort: the sweeper's last look at the run books them otherwise.
 * @returns `t`.
 */
export async function bookIfFinished<T extends { applied: boolean; runStatus: string }>(
  engine: Engine,
  runId: string,
  t: T,
): Promise<T> {
  if (!t.applied || t.runStatus === "running" || t.runStatus === "missing") return t;
  const run = await loadRun(engine.store, runId).catch(() => null);
  if (run) await keepFinishedRunBlobs(engine, runId, run);
  await engine.store
    .bookUnrecorded(runId)
    // then the budgets: every hold still open is settled at its booking, or released (recover-holds.ts)
    .then(() => recoverRunHolds(engine, runId, run?.frozen))
    .catch((err: unknown) => {
      console.error(`run ${runId}: unrecorded calls not booked at its finish (${String(err)})`);
    });
  // a child run decides its parent's workflow node (sub-workflow-node.ts); the sweepers heal a lost one
  await notifyParent(engine, runId, run?.frozen ?? null).catch((err: unknown) => {
    console.error(`run ${runId}: its parent's node not decided at its finish (${String(err)})`);
  });
  return t;
}

/**
 * Records a node's result and advances the DAG: {@link recordCompletion}, then publishes the ready nodes its freed
 * slot lets start (longest remaining path first). {@link advance} calls it for an answer from before execute
 * recorded completions (`/internal/execute` itself records through delivery.ts, which may chain). A repeat (the node
 * is already done) changes nothing and publishes again what that completion took but is still `queued`
 * (deduplicated by QStash).
 * @throws when Redis or QStash fail (after their clients' own retries of network errors: 5 with backoff by default
 *   in `@upstash/redis` and `@upstash/qstash`); the caller answers 5xx so that QStash retries. Both steps are
 *   idempotent.
 */
export async function completeExecuted(
  engine: Engine,
  result: ExecuteResult,
  unwritten: PreparedBlob | null = null,
  generation?: number,
): Promise<Extract<AdvanceOutcome, { kind: "completed" }>> {
  const t = await recordCompletion(engine, result, unwritten, undefined, generation);
  const dispatched = await publishTaken(engine, result.runId, t.dispatch, generation);
  return { kind: "completed", applied: t.applied, dispatched, runStatus: t.runStatus };
}

/**
 * Fails a node for good, skips its descendants and publishes what its freed slot lets start: the `/internal/failure`
 * step, the last failed attempt seen by the callback, and `/internal/execute` on a non-retryable error (with the
 * delivery's `lease`, so a stale delivery cannot fail a node a newer one holds). Idempotent: a repeat, or a failure
 * callback for a node already done, publishes again what the node's transition took but is still `queued`; with
 * the failing message's id (`messageId`: its retries ran out), also a chain node a delivery of that message left
 * unfinished, which gets a message of its own (fail_node releases it).
 * The node's failure policy applies (workflow `onFailure`, a node's own overrides it): `continue` first stores the
 * text its dependents read as its output, `[FAILED: <error>]` ({@link failedOutputText}); `fail-fast` cancels the
 * rest of the run, its QStash messages, its calls in this isolate and its child runs (best effort, logged).
 * With `messageId` and no `lease` (the failure callback), a node `running` under another message's delivery that
 * claimed it less than the node's timeout + the execute margin ago is left to that holder (fail_node `holdMs`).
 * @param generation the failing message's dispatch generation: a failure from an earlier try changes nothing.
 * @throws when Redis or QStash fail.
 */
export async function fail(
  engine: Engine,
  runId: string,
  nodeId: string,
  error: string,
  lease?: string,
  messageId?: string,
  generation?: number,
): Promise<AdvanceOutcome> {
  const run = await loadRun(engine.store, runId);
  const policy = run ? resolveFailurePolicy(run.frozen.workflow, run.nodes.get(nodeId)) : "skip-dependents";
  const markerRef =
    policy === "continue"
      ? await engine.blobs.put(failedOutputText(error), { ttlSeconds: liveBlobTtlSeconds(engine.config) })
      : undefined;
  const node = run?.nodes.get(nodeId);
  // the failure callback leaves a node another message's delivery holds to that holder until its deadline
  // (an http node's holder is its call, live through every QStash attempt: shared/http/http-call.ts)
  const holdMs =
    run && node && !lease && messageId
      ? (httpHoldMs(run.frozen.workflow, node) ??
        resolveNodeSettings(run.frozen.workflow, node).timeoutMs + EXECUTE_MARGIN_MS)
      : undefined;
  const t = await bookIfFinished(
    engine,
    runId,
    await engine.store.failNode(runId, nodeId, error, engine.now(), lease, messageId, {
      generation,
      policy,
      markerRef,
      holdMs,
    }),
  );
  if (t.applied && policy === "fail-fast") {
    await stopRunMessages(engine, runId);
    // the run's child runs (workflow nodes) stop too, as at a cancel (run-actions.ts `cancelRun` cascades)
    await cancelChildRuns(engine, runId, cancelRun);
  }
  const dispatched = await publishTaken(engine, runId, t.dispatch, generation);
  return { kind: "failed", applied: t.applied, runStatus: t.runStatus, skipped: t.skipped, dispatched };
}

/**
 * Publishes the nodes a transition took from the ready set (a freed slot lets the next ones start), or, after a
 * repeat, the ones it took that are still `queued`. Safe to repeat: QStash drops a second publish of a node
 * (deduplication id per node and run generation).
 * @param generation the dispatch generation of the delivery (or callback) that publishes (default: the run's
 *   creation time).
 * @returns how many messages were published.
 * @throws QstashError (or a network error) when the queue refuses.
 */
export async function publishTaken(
  engine: Engine,
  runId: string,
  nodeIds: readonly string[],
  generation?: number,
): Promise<number> {
  if (nodeIds.length === 0) return 0;
  const run = await loadRun(engine.store, runId);
  return run ? dispatchNodes(engine, run, nodeIds, undefined, { generation }) : 0;
}

/** What the dependents of a failed `continue` node read as its output. */
export function failedOutputText(error: string): string {
  return `[FAILED: ${error}]`;
}

/**
 * After a run stopped (cancel, fail-fast): aborts the run's provider calls this isolate holds (resolving once they
 * have seen the mark) and cancels the messages QStash still holds for it (by the run's label). Best effort: a QStash failure is logged, since
 * claim_node refuses every later delivery of a run that is not running anyway.
 * @returns how many messages QStash cancelled (0 when the cancel failed).
 */
export async function stopRunMessages(engine: Engine, runId: string): Promise<number> {
  const aborting = abortRun(runId, engine.now());
  const [cancelled] = await Promise.all([
    engine.dispatcher.cancel(runId).catch((err: unknown) => {
      console.warn(`run ${runId}: cancelling its QStash messages failed (${String(err)}); its deliveries are refused`);
      return 0;
    }),
    // the deliveries this isolate holds abort at their next look: answer only after it
    aborting > 0 ? new Promise((resolve) => setTimeout(resolve, ABORT_POLL_MS * 2)) : null,
  ]);
  return cancelled;
}

/** The stored form of a routing decision: `<provider>|<tier>|<source>|<reason>` (the reason may contain `|`). */
export function routeField(route: ExecuteResult["route"]): string {
  return [route.provider, route.tier ?? "", route.source, route.reason].join("|");
}

/**
 * The result in an execute answer, with the completion execute recorded; `skipped` for the answer of a skipped
 * delivery (`{skipped: true, …}`), `unreadable` for anything else (not JSON, e.g. truncated, or not a result). A
 * `completion` that does not match its schema is treated as absent: the callback then records the completion
 * itself, which is safe to repeat.
 */
function parseResult(
  body: string,
): { result: ExecuteResult; completion: ExecuteCompletion | null } | "skipped" | "unreadable" {
  let value: Partial<ExecuteResult> & { completion?: unknown; skipped?: unknown };
  try {
    value = JSON.parse(body) as typeof value;
  } catch {
    return "unreadable";
  }
  if (value === null || typeof value !== "object") return "unreadable";
  if (value.skipped === true) return "skipped";
  if (typeof value.ref !== "string" || !value.usage) return "unreadable";
  const completion = executeCompletionSchema.safeParse(value.completion);
  return { result: value as ExecuteResult, completion: completion.success ? completion.data : null };
}

/** Whether an execute answer is the `node-busy` problem (delivery.ts `busy`: another attempt holds the node). */
function isNodeBusy(body: string): boolean {
  try {
    const p = JSON.parse(body) as { type?: unknown };
    return typeof p.type === "string" && p.type.endsWith("/node-busy");
  } catch {
    return false;
  }
}

/**
 * The error to record for a failed attempt: the `detail` of the problem+json `/internal/execute` answered, else
 * the status and the start of the body.
 */
export function errorMessage(report: Pick<DeliveryReport, "status" | "body">): string {
  try {
    const p = JSON.parse(report.body) as { detail?: unknown };
    if (typeof p.detail === "string") return p.detail;
  } catch {
    // not JSON: fall through
  }
  const text = report.body.trim().slice(0, 300);
  return report.status === 0
    ? `no response${text ? `: ${text}` : ""}`
    : `HTTP ${report.status}${text ? `: ${text}` : ""}`;
}
