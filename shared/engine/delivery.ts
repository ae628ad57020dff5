import { isCompensationId } from "../dag/compensation.js";
import { EXECUTE_MARGIN_MS } from "../dispatch/dispatcher.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import type { BoundDeliveryToken } from "../state/delivery-tokens.js";
import type { TransitionResult } from "../state/run-store.js";
import { holdRunAbort, type RunAbortHold } from "./abort-registry.js";
import { fail, publishTaken, recordCompletion } from "./advance.js";
import { attemptFailure, errorText } from "./attempt-failure.js";
import { CHAIN_WINDOW_MS, mayChain, nodesPerDelivery } from "./chain-policy.js";
import { deferNode } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import type { DeliveryControls, ExecuteResult, HeldNode } from "./execute-node.js";
import { type LoadedRun, loadRun } from "./run-cache.js";
import { type TakeOutcome, takeChainedNode, takeMessageNode } from "./take-node.js";

/**
 * Seconds before the message of a node a chain handed back is delivered: QStash's default delay before a first
 * retry, `min(86400, e^(2.5 n))` s with n = 1, about 12 s (upstash.com/docs/qstash/features/retry;
 * docs/upstash-protocols.md, "Default backoff"), so the node waits as long as its own message's retry would have. A
 * provider's rate limit (`Retry-After`) is used instead when it gave one.
 */
export const HAND_BACK_DELAY_SECONDS = 12;

/** The execute message a delivery carries: its node, and whether its timeout leaves room for a chain. */
export interface DeliveryMessage {
  runId: string;
  nodeId: string;
  /** The message says `chain: true` (dispatcher.ts): it may run up to the run's `nodesPerDelivery` nodes. */
  chain: boolean;
  /** The message's dispatch generation (absent in messages from before it was sent): claim_node refuses an earlier
   * try's message, and everything this delivery publishes or records carries it. */
  generation?: number | undefined;
  /** The message says `fresh: true`: its node calls the provider without reading the result cache (rerun). */
  fresh?: boolean | undefined;
  /** The request's delivery token, recorded by the first claim (claim-node.ts); a replayed copy ends `skipped` with
   * reason `replayed-delivery`. */
  token?: BoundDeliveryToken | undefined;
}

/**
 * What one delivery did:
 * - `failed`: the attempt of the message's own node threw (`error`); the caller answers so that QStash retries the
 *   message, or fails the node (`/internal/execute`'s `failedAttempt`);
 * - `skipped`: it ran nothing (a duplicate delivery, a finished node, a deferral while an identical call is in
 *   flight, or a resumed chain's node handed back at once); `stillQueued` are nodes to publish again;
 * - `ran`: it ran `first` (the message's node, or the chain node it resumed), then started the nodes `chained` (ids,
 *   in order; the last may have been handed back or deferred instead of completed); `last` is the transition that
 *   ended it, whose `dispatch` the caller publishes (or the success callback does); everything the chain's earlier
 *   completions took was published along the way;
 * - `busy`: another attempt still holds the node and its outcome is unknown (take-node.ts): the caller must not
 *   answer success, and asks QStash to come back after `retryAfterSeconds`.
 */
export type DeliveryOutcome =
  | { kind: "failed"; error: unknown }
  | { kind: "busy"; nodeId: string; retryAfterSeconds: number }
  | { kind: "skipped"; reason: string; stillQueued: readonly string[] }
  | { kind: "ran"; first: ExecuteResult; chained: string[]; last: TransitionResult };

/**
 * Runs one QStash delivery of `/internal/execute`: the message's node (take-node.ts), then, while chain-policy.ts
 * allows (`nodesPerDelivery`, a 60 s window), the highest-priority node each completion takes: complete_node sets
 * it `running` under this lease in the same script, so it starts one Redis round trip later in the slot the delivery
 * holds, with no message, hand-over or claim. What a completion takes besides is published while the next node runs.
 * Failures keep each node's own retries and at-least-once delivery:
 * - the message's own node failing is the message's failed attempt (`failed`: QStash retries it);
 * - a chained node's attempt failing is handed back ({@link handBack}), counting against the node's own retries;
 * - a chain step failing (a completion, a publish, a hand-back) throws, the node still held under this lease: the
 *   message's retry follows the chain (claim_node), publishes what is still `queued` and resumes the unfinished
 *   link; once its retries run out, the failure callback releases that link to a message of its own (fail_node);
 * - a chained node a newer delivery took over still has its output recorded (first to finish wins), but the chain
 *   ends there (complete_node chains only under the lease that holds the node).
 * @throws UpstashError or QstashError (or a network error) when Redis or QStash fail, after their clients' retries.
 */
export async function runDelivery(engine: Engine, msg: DeliveryMessage, lease: string): Promise<DeliveryOutcome> {
  // held from before the claim: a cancel in this isolate aborts the call, and the delivery ends `cancelled`
  // (a compensation runs after its run's cancel: not aborted by it)
  // a cancel of an earlier try (before a retry or rerun) does not abort this try's deliveries
  const abort = holdRunAbort(msg.runId, { compensation: isCompensationId(msg.nodeId), generation: msg.generation });
  try {
    return await deliver(engine, msg, lease, abort);
  } finally {
    abort.release();
  }
}

async function deliver(
  engine: Engine,
  msg: DeliveryMessage,
  lease: string,
  abort: RunAbortHold,
): Promise<DeliveryOutcome> {
  const began = engine.now();
  const generation = msg.generation;
  const ctl = { generation, signal: abort.signal, fresh: msg.fresh ? msg.nodeId : undefined, lease };
  let outcome;
  try {
    // a chaining message's timeout leaves the chain window to spare; another message's, only part of its margin
    const waitMs = msg.chain ? CHAIN_WINDOW_MS : EXECUTE_MARGIN_MS / 2;
    outcome = await takeMessageNode(engine, msg.runId, msg.nodeId, lease, { ...ctl, waitMs, token: msg.token });
  } catch (error) {
    if (abort.signal.aborted) return { kind: "skipped", reason: "cancelled", stillQueued: [] };
    return { kind: "failed", error };
  }
  if (outcome.kind === "busy") return outcome;
  if (outcome.kind === "skipped")
    return { kind: "skipped", reason: outcome.reason, stillQueued: outcome.stillQueued ?? [] };
  const taken = outcome;
  // when a step throws, every node still running under this lease is given up (`retrying`, the lease kept), so the
  // message's retry takes it at once instead of waiting for this attempt's deadline; that includes a link a
  // completion handed over whose answer was lost
  try {
    return await runChain(engine, msg, lease, abort, began, ctl, taken);
  } catch (err) {
    await engine.store.giveUpLease(msg.runId, lease, `delivery failed: ${errorText(err)}`).catch(() => undefined);
    throw err;
  }
}

/** The chain part of {@link deliver}: runs the node taken, then the ones each completion hands over. */
async function runChain(
  engine: Engine,
  msg: DeliveryMessage,
  lease: string,
  abort: RunAbortHold,
  began: number,
  ctl: DeliveryControls & { generation?: number | undefined },
  outcome: Extract<TakeOutcome, { kind: "ran" | "resumed" }>,
): Promise<DeliveryOutcome> {
  const generation = msg.generation;
  const run = await loadRun(engine.store, msg.runId);
  if (!run) return { kind: "skipped", reason: "run-missing", stillQueued: [] };
  const limit = msg.chain ? nodesPerDelivery(run.frozen.workflow) : 1;

  // the nodes started, in order: the first is `first`'s (own or resumed), the rest are `chained`
  const started: string[] = [];
  let first: ExecuteResult | null = null;
  let ran = 0;
  // what the chain still has to publish (settled: its error, or null), and the node it holds next
  let publishing: Promise<unknown> = Promise.resolve(null);
  let held: HeldNode | null = null;
  let current = outcome.kind === "ran" ? outcome : null;
  if (current) started.push(msg.nodeId);
  if (outcome.kind === "resumed") {
    publishing = settled(publishTaken(engine, msg.runId, outcome.stillQueued, generation));
    held = outcome.node;
  }
  // the last output, which the next node most often reads
  let known = new Map<string, string>();
  const end = (last: TransitionResult, reason: string): DeliveryOutcome =>
    first
      ? { kind: "ran", first, chained: started.slice(1), last }
      : { kind: "skipped", reason: `resumed ${started[0]}: ${reason}`, stillQueued: last.dispatch };

  for (;;) {
    if (held) {
      started.push(held.nodeId);
      let next;
      try {
        next = await takeChainedNode(engine, run, held, lease, known, ctl);
      } catch (err) {
        const publishError = await publishing;
        if (publishError) throw publishError;
        if (abort.signal.aborted)
          return end({ applied: false, runStatus: "cancelled", dispatch: [], skipped: [] }, "cancelled");
        return end(await handBack(engine, run, held, lease, err, generation), "handed back");
      }
      const publishError = await publishing;
      if (next.kind === "skipped") {
        if (publishError) throw publishError;
        // deferred while an identical call is in flight (defer_node applied only in a running run) or superseded
        return end({ applied: false, runStatus: "running", dispatch: [], skipped: [] }, next.reason);
      }
      current = next;
      held = null;
      // an output is recorded even when the previous publish failed; the chain then stops there, and the error
      // makes QStash retry the message, whose next delivery publishes what is still queued
      if (publishError) {
        await recordCompletion(engine, current.result, current.unwritten, undefined, generation);
        throw publishError;
      }
    }
    if (!current) throw new Error("delivery: nothing to record");
    first ??= current.result;
    ran += 1;
    const chainLease = mayChain(ran, engine.now() - began, limit) ? lease : undefined;
    const t = await recordCompletion(engine, current.result, current.unwritten, chainLease, generation);
    if (!t.chained) return end(t, "completed");
    known = new Map([[current.result.ref, current.text]]);
    publishing = settled(publishTaken(engine, msg.runId, t.dispatch, generation));
    held = t.chained;
    current = null;
  }
}

/**
 * Hands back a chained node whose attempt threw (whatever it threw, a Redis read inside the attempt included): fails
 * it for good (descendants skipped, what that frees published) when the error is not retryable (attempt-failure.ts)
 * or the node has no retries; else publishes a message of its own (the node's own deduplication id) with its retries
 * less the one spent, after {@link HAND_BACK_DELAY_SECONDS} (or the provider's `Retry-After`), then marks it
 * `retrying` and removes the chain's lease from it, so no delivery of the chain's message resumes it. The publish goes
 * first: if it fails, the node is still held under this lease and the message's retry resumes it. When this lease no
 * longer holds the node (a newer delivery took it over), returns what the node's transition took that is still
 * `queued` (the message published meanwhile may then run the node twice: a rare race).
 * @returns the transition: nothing left to publish, or the still-queued list above.
 * @throws when Redis or QStash fail (the caller answers 5xx; QStash's retry of the message resumes the node).
 */
async function handBack(
  engine: Engine,
  run: LoadedRun,
  held: HeldNode,
  lease: string,
  err: unknown,
  generation: number | undefined,
): Promise<TransitionResult> {
  const runId = run.frozen.runId;
  const node = run.nodes.get(held.nodeId);
  const retries = node ? resolveNodeSettings(run.frozen.workflow, node).retries : 0;
  const { retryable, reason, retryAfterSeconds } = attemptFailure(err);
  if (!retryable || retries === 0) {
    // what the failure took (or, on a repeat, what the node's transition took that is still queued) is published here
    const t = await fail(engine, runId, held.nodeId, reason, lease, undefined, generation);
    if (t.kind !== "failed") return { applied: false, runStatus: "running", dispatch: [], skipped: [] };
    return {
      applied: t.applied,
      runStatus: t.runStatus as TransitionResult["runStatus"],
      dispatch: [],
      skipped: t.skipped,
    };
  }
  const delay = retryAfterSeconds ?? HAND_BACK_DELAY_SECONDS;
  await deferNode(engine, run, held.nodeId, delay, null, { retries: retries - 1 }, generation);
  if (await engine.store.retryNode(runId, held.nodeId, reason, lease, true)) {
    // retry_node applies only in a running run
    return { applied: true, runStatus: "running", dispatch: [], skipped: [] };
  }
  const again = await engine.store.offerAgain(runId, held.nodeId);
  return { applied: false, runStatus: again.runStatus, dispatch: again.dispatch, skipped: [] };
}

/** A promise that resolves to the error `p` rejects with, or null: awaited later, it never goes unhandled. */
function settled(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e ?? new Error("publish failed"),
  );
}
