import { isPermanentBlobError } from "../blobs/blob-errors.js";
import { ProviderError } from "../providers/provider.js";
import { resolveNodeSettings } from "../schema/node-settings.js";
import type { TransitionResult } from "../state/run-store.js";
import { fail, publishTaken, recordCompletion } from "./advance.js";
import { mayChain, nodesPerDelivery } from "./chain-policy.js";
import { deferNode } from "./dispatch-nodes.js";
import type { Engine } from "./engine.js";
import { executeHeld, executeNode, type ExecuteResult, type HeldNode } from "./execute-node.js";
import { loadRun, type LoadedRun } from "./run-cache.js";

/**
 * Seconds before the message of a node a chain handed back is delivered: QStash's default delay before a first
 * retry, `min(86400, e^(2.5 n))` s with n = 1, about 12 s (upstash.com/docs/qstash/features/retry;
 * upstash-protocols.md, "Default backoff"), so the node waits as long as its own message's retry would have. A
 * provider's rate limit (`Retry-After`) is used instead when it gave one.
 */
export const HAND_BACK_DELAY_SECONDS = 12;

/** The execute message a delivery carries: its node, and whether its timeout leaves room for a chain. */
export interface DeliveryMessage {
  runId: string;
  nodeId: string;
  /** The message says `chain: true` (dispatcher.ts): it may run up to the run's `nodesPerDelivery` nodes. */
  chain: boolean;
}

/**
 * What one delivery did:
 * - `failed`: the attempt of the message's own node threw (`error`); the caller answers so that QStash retries the
 *   message, or fails the node (`/internal/execute`'s `failedAttempt`);
 * - `skipped`: it ran nothing (a duplicate delivery, a finished node, a deferral while an identical call is in
 *   flight, or a resumed chain's node handed back at once); `stillQueued` are nodes to publish again;
 * - `ran`: it ran `first` (the message's node, or the chain node it resumed) and then `chained` (ids, in order), and
 *   `last` is the transition that ended it, whose `dispatch` the caller publishes (or the success callback does);
 *   everything the chain's earlier completions took was published along the way.
 */
export type DeliveryOutcome =
  | { kind: "failed"; error: unknown }
  | { kind: "skipped"; reason: string; stillQueued: readonly string[] }
  | { kind: "ran"; first: ExecuteResult; chained: string[]; last: TransitionResult };

/**
 * Runs one QStash delivery of `/internal/execute`: the message's node (executeNode), then, while the chain policy
 * allows (chain-policy.ts: the run's `nodesPerDelivery`, a 60 s window), the highest-priority node each completion
 * takes: `complete_node` sets it `running` under this delivery's lease in the same script, so the next node starts
 * one Redis round trip after the last one ended, in the flow-control slot the delivery already holds, with no
 * message, no hand-over and no claim. What a completion takes besides is published while the next node runs.
 *
 * Failures keep every node's own retry budget and at-least-once delivery:
 * - the message's own node failing is the message's failed attempt (`failed`: QStash retries it);
 * - a chained node failing is handed back: failed for good (descendants skipped) when the error is non-retryable or
 *   the node has no retries, else marked `retrying` and published as a message of its own with its retries less
 *   the one spent, after {@link HAND_BACK_DELAY_SECONDS} (or the provider's `Retry-After`);
 * - when the delivery dies mid-chain, or Redis or QStash fail (the caller answers 5xx), QStash retries the message:
 *   its next delivery finds the message's node finished, follows the chain (claim_node), publishes what the
 *   finished links took that is still `queued`, and resumes the first unfinished link;
 * - a chained node that a newer delivery of the message has taken over still has its output recorded (first to
 *   finish wins), but the chain ends there (complete_node chains only under the lease that holds the node).
 * @throws UpstashError or QstashError (or a network error) when Redis or QStash fail, after their clients' retries.
 */
export async function runDelivery(engine: Engine, msg: DeliveryMessage, lease: string): Promise<DeliveryOutcome> {
  const began = engine.now();
  let outcome;
  try {
    outcome = await executeNode(engine, msg.runId, msg.nodeId, lease);
  } catch (error) {
    return { kind: "failed", error };
  }
  if (outcome.kind === "skipped") return { kind: "skipped", reason: outcome.reason, stillQueued: outcome.stillQueued ?? [] };
  const run = await loadRun(engine.store, msg.runId);
  if (!run) return { kind: "skipped", reason: "run-missing", stillQueued: [] };
  const limit = msg.chain ? nodesPerDelivery(run.frozen.workflow) : 1;

  const chained: string[] = [];
  let first: ExecuteResult | null = null;
  let ran = 0;
  // what the chain still has to publish (settled: its error, or null), and the node it holds next
  let publishing: Promise<unknown> = Promise.resolve(null);
  let held: HeldNode | null = null;
  let current = outcome.kind === "ran" ? outcome : null;
  if (outcome.kind === "resumed") {
    publishing = settled(publishTaken(engine, msg.runId, outcome.stillQueued));
    held = outcome.node;
  }
  // the last output, which the next node most often reads
  let known = new Map<string, string>();

  for (;;) {
    if (held) {
      chained.push(held.nodeId);
      let next;
      try {
        next = await executeHeld(engine, run, held, lease, known);
      } catch (err) {
        const publishError = await publishing;
        const last = await handBack(engine, run, held, lease, err);
        if (publishError) throw publishError;
        return first ? { kind: "ran", first, chained, last } : { kind: "skipped", reason: `resumed ${held.nodeId}, handed back`, stillQueued: [] };
      }
      const publishError = await publishing;
      if (next.kind === "skipped") {
        if (publishError) throw publishError;
        const last: TransitionResult = { applied: false, runStatus: "running", dispatch: [], skipped: [] };
        return first ? { kind: "ran", first, chained, last } : { kind: "skipped", reason: next.reason, stillQueued: [] };
      }
      current = next;
      held = null;
      // an output is recorded even when the previous publish failed; the chain then stops there, and the error
      // makes QStash retry the message, whose next delivery publishes what is still queued
      if (publishError) {
        await recordCompletion(engine, current.result, current.unwritten);
        throw publishError;
      }
    }
    if (!current) throw new Error("delivery: nothing to record");
    first ??= current.result;
    ran += 1;
    const chainLease = mayChain(ran, engine.now() - began, limit) ? lease : undefined;
    const t = await recordCompletion(engine, current.result, current.unwritten, chainLease);
    if (!t.chained) return { kind: "ran", first, chained, last: t };
    known = new Map([[current.result.ref, current.text]]);
    publishing = settled(publishTaken(engine, msg.runId, t.dispatch));
    held = t.chained;
    current = null;
  }
}

/**
 * Hands back a chained node whose attempt threw: fails it for good (descendants skipped, what that frees published)
 * when the error is non-retryable or the node has no retries; else marks it `retrying` and publishes a message of
 * its own with the retries left. Only while this delivery's lease still holds the node.
 * @returns the transition, with nothing left to publish.
 * @throws when Redis or QStash fail (the caller answers 5xx; QStash's retry of the message resumes the node).
 */
async function handBack(engine: Engine, run: LoadedRun, held: HeldNode, lease: string, err: unknown): Promise<TransitionResult> {
  const runId = run.frozen.runId;
  const node = run.nodes.get(held.nodeId);
  const retries = node ? resolveNodeSettings(run.frozen.workflow, node).retries : 0;
  const message = err instanceof ProviderError ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const permanent = isPermanentBlobError(err) || (err instanceof ProviderError && err.kind === "non-retryable");
  if (permanent || retries === 0) {
    const failed = await fail(engine, runId, held.nodeId, message, lease);
    const runStatus = failed.kind === "failed" ? failed.runStatus : "running";
    return { applied: failed.kind === "failed" && failed.applied, runStatus: runStatus as TransitionResult["runStatus"], dispatch: [], skipped: [] };
  }
  const applied = await engine.store.retryNode(runId, held.nodeId, message, lease);
  if (applied) {
    const delay = err instanceof ProviderError && err.kind === "rate-limited" ? Math.max(1, err.retryAfterSeconds ?? 1) : HAND_BACK_DELAY_SECONDS;
    await deferNode(engine, run, held.nodeId, delay, lease, { retries: retries - 1 });
  }
  return { applied, runStatus: "running", dispatch: [], skipped: [] };
}

/** A promise that resolves to the error `p` rejects with, or null: awaited later, it never goes unhandled. */
function settled(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e ?? new Error("publish failed"),
  );
}
