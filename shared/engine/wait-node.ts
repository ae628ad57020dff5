/**
 * Wait nodes (`kind: "wait"`, shared/schema/node-kinds.ts): a node that pauses its branch until someone signals it
 * (`POST /v1/runs/:id/nodes/:node/signal`, functions/signal.ts) or its `wait.timeout` passes.
 *
 * - **Park.** A delivery that claimed a wait node renders its prompt (the question for the approver) and parks it
 *   (park_node: `waiting`, its slot freed, the next ready nodes taken), publishes a timeout message (QStash
 *   `Upstash-Not-Before` = the deadline, one deduplication id per run, node and dispatch generation) to the signed
 *   route {@link WAIT_TIMEOUT_PATH}, and publishes what the park took. Nothing is held while it waits: no request, no
 *   QStash retry, no slot. A redelivery of its message finds it `waiting` and publishes the timeout and what the park
 *   took again (deduplicated).
 * - **Decide.** A signal, or the timeout, decides the node once (resolve_parked, idempotent on the signal's content
 *   or its Idempotency-Key): approved, it completes with the output JSON `{"approved": true, "payload": …,
 *   "signalledAt": <ms>}` (`"timedOut": true` added when it is a timeout's default), stored as a blob like any
 *   output, and its dependents are released and published; rejected, or timed out with `onTimeout: "fail"`, it fails
 *   for good under its failure policy. A second decision finds it decided: the same one answers the same outcome,
 *   another is refused (`not-waiting`).
 * - **Heal.** The sweeper applies the timeout of a node still `waiting` a grace period after its deadline (the
 *   timeout message was lost: {@link timeOutOverdueWaits}).
 * - **Condition.** A node with `wait.when` (shared/dag/wait-condition.ts) evaluates it first, on the upstream outputs
 *   it reads: false, it does not park but completes at once with `{"approved": true, "payload": null, "asked":
 *   false}`, its meta `resolved:<id>` recording source `condition` (the run view's `asked: false`; a later signal
 *   gets `not-waiting`). Outputs of a node that asked carry `"asked": true`.
 */
import type { PreparedBlob } from "../blobs/blob-store.js";
import { renderTemplate, type TemplateContext } from "../dag/template.js";
import { CONDITION_SOURCE, evaluateWaitCondition, parseWaitCondition } from "../dag/wait-condition.js";
import { deduplicationId } from "../dispatch/dispatcher.js";
import { parseDurationMs } from "../schema/duration.js";
import { MAX_WAIT_MS, type WaitSignal } from "../schema/node-kinds.js";
import type { WorkflowNode } from "../schema/workflow.js";
import { type ParkDecision, parkInfo, parkLease, type ResolveResult } from "../state/park-store.js";
import { canonicalJson, sha256Hex } from "../util/hash.js";
import { bookIfFinished, fail, publishTaken } from "./advance.js";
import { liveBlobTtlSeconds } from "./blob-retention.js";
import type { Engine } from "./engine.js";
import { EXCERPT_CHARS, type HeldNode, type NodeReads, SENSITIVE_EXCERPT } from "./execute-node.js";
import { assertPromptFits } from "./prompt-limit.js";
import type { LoadedRun } from "./run-cache.js";
import { readUpstream } from "./upstream-outputs.js";

/** Path of the signed route a wait node's timeout message is delivered to (functions/signal.ts). */
export const WAIT_TIMEOUT_PATH = "/internal/wait-timeout";

/** Most characters of a wait node's rendered question kept in run state, the run view and its `waiting` event. */
export const QUESTION_CHARS = 2000;

/** QStash retries of a timeout message (ours: a lost one is still applied by the sweeper). */
export const WAIT_TIMEOUT_RETRIES = 3;

/**
 * How much earlier than its deadline a timeout message may apply, ms: the clock difference tolerated on a QStash
 * token (functions/middleware/qstash-signature.ts `CLOCK_TOLERANCE_SECONDS`, 5 s); `Upstash-Not-Before` is whole
 * seconds rounded up, so QStash itself never delivers early.
 */
export const TIMEOUT_TOLERANCE_MS = 5_000;

/** The question stored and shown for a `sensitive` wait node (one that reads a sensitive output) instead of its text. */
export const SENSITIVE_QUESTION = "[sensitive question: it reads a sensitive output, not shown]";

/** Reason of the `skipped` outcome of a delivery that parked its wait node. */
export const WAIT_PARKED = "waiting for a signal";

/** Reason of the `skipped` outcome of a delivery whose wait node's `wait.when` was false: it completed unasked. */
export const WAIT_NOT_ASKED = "not asked: its condition is false";

/** Whether node `nodeId` of the run is a wait node. */
export function isWaitNode(run: LoadedRun, nodeId: string): boolean {
  return run.nodes.get(nodeId)?.kind === "wait";
}

/**
 * A wait node's timeout in ms and as written (`"1h"`, or a number of ms), for messages: `no signal within 1h`.
 * @throws Error when the node has no `wait` (the schema requires it for a wait node).
 */
function waitTimeout(node: WorkflowNode): { ms: number; label: string } {
  if (!node.wait) throw new Error(`node ${node.id} has no wait settings`);
  const ms = parseDurationMs(node.wait.timeout, MAX_WAIT_MS);
  return { ms, label: typeof node.wait.timeout === "string" ? node.wait.timeout : `${ms} ms` };
}

/** What one decision attempt came to, for the signal route, the timeout route and the sweeper. */
export type DecisionOutcome = { kind: "unknown-node" } | { kind: "not-wait-node"; nodeKind: string } | ResolveResult;

/**
 * Parks a wait node this delivery holds (see the module header): renders its question, parks it (park_node), then
 * publishes its timeout message and the nodes its freed slot took. A node whose `wait.when` is false is completed
 * instead, unasked ({@link completeUnasked}). When the node already has a decision for this
 * try (its transition was interrupted and this delivery took it over), applies that decision under this lease.
 * @param held the node, its attempt, its claim time and the output refs of the upstream nodes its prompt reads.
 * @param known output texts by blob ref this delivery already holds (a chain's earlier outputs): not read again.
 * @returns `skipped` (nothing left to publish: this call published it): {@link WAIT_PARKED}, {@link WAIT_NOT_ASKED},
 *   or why nothing changed.
 * @throws ProviderError `non-retryable` when an upstream output or the run input has expired or the question is over
 *   the prompt cap; whatever Redis or QStash throw (the delivery answers 5xx and its retry, finding the node
 *   `waiting`, publishes again: {@link reofferParked}).
 */
export async function parkWaitNode(
  engine: Engine,
  run: LoadedRun,
  held: HeldNode & { refs: Record<string, string> },
  inputs: NodeReads,
  lease: string,
  generation: number | undefined,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<{ kind: "skipped"; reason: string; stillQueued: readonly string[] }> {
  const runId = run.frozen.runId;
  const node = run.nodes.get(held.nodeId) as WorkflowNode;
  // the question and \`wait.when\` read the upstream outputs and the run input like a prompt
  const ctx: TemplateContext = await readUpstream(engine, run, node.id, held.refs, inputs, known);
  const condition = node.wait?.when === undefined ? undefined : parseWaitCondition(node.wait.when);
  // validation refuses a condition that does not parse; were one stored anyway, the node asks
  if (condition?.ok && !evaluateWaitCondition(condition.condition, ctx).ask)
    return completeUnasked(engine, run, node, generation);
  assertPromptFits(node.id, { template: node.prompt, ctx }, 0, engine.config.promptLimit);
  const question = renderTemplate(node.prompt, ctx);
  const now = engine.now();
  const deadline = now + waitTimeout(node).ms;
  const parked = await engine.store.parks.park(runId, node.id, lease, {
    now,
    deadline,
    note: node.sensitive ? SENSITIVE_QUESTION : question.slice(0, QUESTION_CHARS),
    generation,
  });
  if (parked.kind === "refused") return { kind: "skipped", reason: parked.reason, stillQueued: [] };
  if (parked.kind === "decided") {
    await settle(engine, run, node, parked, lease, generation);
    return { kind: "skipped", reason: `decided by ${parked.source}`, stillQueued: [] };
  }
  await publishTimeout(engine, run, node.id, parked.generation, deadline);
  await publishTaken(engine, runId, parked.dispatch, parked.generation);
  return { kind: "skipped", reason: WAIT_PARKED, stillQueued: [] };
}

/**
 * A delivery found its wait node `waiting` (a retry of the message that parked it, whose answer was lost, or a
 * sweeper re-offer): publishes its timeout message and what its park took again; both are deduplicated by QStash.
 * @throws whatever Redis or QStash throw.
 */
export async function reofferParked(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
): Promise<{ kind: "skipped"; reason: string; stillQueued: readonly string[] }> {
  const info = await engine.store.parks.info(run.frozen.runId, nodeId);
  if (info?.deadline != null) await publishTimeout(engine, run, nodeId, info.generation, info.deadline);
  return { kind: "skipped", reason: "waiting", stillQueued: info ? info.took : [] };
}

/**
 * Applies a signal to wait node `nodeId` (the signal route): decides it (resolve_parked) and, when this call decided
 * it (or repeats a decision whose transition is still to run), completes or fails it and publishes what that took.
 * @param idempotencyKey the request's `Idempotency-Key`: the same key answers the first decision again.
 * @returns the decision, a replay of it, or why nothing changed (`refused`: `not-waiting`, `idempotency-conflict`,
 *   …; `unknown-node`; `not-wait-node`).
 * @throws BlobTooLargeError when the output would exceed the blob limits; whatever Redis or QStash throw (a repeat
 *   of the same signal finishes what this one began).
 */
export async function signalWaitNode(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  signal: WaitSignal,
  idempotencyKey?: string,
): Promise<DecisionOutcome> {
  const node = run.nodes.get(nodeId);
  if (!node || !run.frozen.workflow.nodes.some((n) => n.id === nodeId)) return { kind: "unknown-node" };
  if (node.kind !== "wait") return { kind: "not-wait-node", nodeKind: node.kind };
  const fingerprint = await sha256Hex(canonicalJson({ approved: signal.approved, payload: signal.payload ?? null }));
  return decide(engine, run, node, signal, { source: "signal", fingerprint, idempotencyKey });
}

/**
 * Applies the timeout of wait node `nodeId` (its timeout message, or the sweeper): `onTimeout: "fail"` fails it
 * (`no signal within <timeout>`), `"default"` takes its default signal. Changes nothing when the node is no longer
 * `waiting` in try `generation`, or (`refused`, `early`) before its deadline less {@link TIMEOUT_TOLERANCE_MS}.
 * @param generation the dispatch generation it was parked under (the message's); omitted: the current one.
 * @throws whatever Redis or QStash throw (the message's retry, or the sweeper, finishes it).
 */
export async function timeOutWaitNode(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  generation?: number,
): Promise<DecisionOutcome> {
  const node = run.nodes.get(nodeId);
  if (!node) return { kind: "unknown-node" };
  if (node.kind !== "wait" || !node.wait) return { kind: "not-wait-node", nodeKind: node.kind };
  const signal: WaitSignal =
    node.wait.onTimeout === "default" && node.wait.default ? node.wait.default : { approved: false };
  return decide(engine, run, node, signal, {
    source: "timeout",
    fingerprint: "timeout",
    generation,
    due: { toleranceMs: TIMEOUT_TOLERANCE_MS },
  });
}

/**
 * The sweeper's part (shared/engine/sweeper.ts): applies the timeout of every wait node of the run still `waiting`
 * more than `graceMs` after its deadline (its timeout message was lost or its retries ran out).
 * @param meta the run's meta hash as read (`parked:<id>`: park-store.ts).
 * @param status the nodes' statuses as read.
 * @returns the nodes whose timeout this call applied.
 * @throws whatever Redis or QStash throw.
 */
export async function timeOutOverdueWaits(
  engine: Engine,
  run: LoadedRun,
  meta: Readonly<Record<string, string>>,
  status: Readonly<Record<string, string>>,
  now: number,
  graceMs: number,
): Promise<string[]> {
  const applied: string[] = [];
  for (const [id, st] of Object.entries(status)) {
    const raw = meta[`parked:${id}`];
    if (st !== "waiting" || !raw) continue;
    const info = parkInfo(raw, "");
    if (info.deadline === null || now < info.deadline + graceMs) continue;
    const out = await timeOutWaitNode(engine, run, id, info.generation);
    if (out.kind === "decided") applied.push(id);
  }
  return applied;
}

/** Decides a wait node with `signal` (see {@link signalWaitNode}, {@link timeOutWaitNode}). */
async function decide(
  engine: Engine,
  run: LoadedRun,
  node: WorkflowNode,
  signal: WaitSignal,
  how: {
    source: "signal" | "timeout";
    fingerprint: string;
    idempotencyKey?: string | undefined;
    generation?: number | undefined;
    due?: { toleranceMs: number } | undefined;
  },
): Promise<DecisionOutcome> {
  const runId = run.frozen.runId;
  const now = engine.now();
  let blob: PreparedBlob | undefined;
  // the output blob is written only for a node that may take it: a refused or repeated signal stores nothing
  if (signal.approved && (await engine.store.parks.status(runId, node.id)) === "waiting") {
    const output = {
      approved: true,
      payload: signal.payload ?? null,
      signalledAt: now,
      ...(how.source === "timeout" ? { timedOut: true } : {}),
      asked: true,
    };
    blob = await engine.blobs.prepare(JSON.stringify(output), {
      encrypt: node.sensitive === true,
      ttlSeconds: liveBlobTtlSeconds(engine.config),
    });
  }
  const lease = parkLease(node.id);
  const r = await engine.store.parks.resolve(runId, node.id, {
    outcome: signal.approved ? "done" : "failed",
    source: how.source,
    fingerprint: how.fingerprint,
    idempotencyKey: how.idempotencyKey,
    lease,
    now,
    generation: how.generation,
    due: how.due,
    ref: blob?.ref,
    first: blob ? (p) => blob.queueWrites(p) : undefined,
  });
  if (r.kind === "decided" || (r.kind === "replayed" && r.pending))
    await settle(engine, run, node, r, lease, r.generation, signal.payload);
  return r;
}

/**
 * Runs the transition a decision calls for, under `lease` (the decision's, or a delivery's that took the node over):
 * complete_node with the decision's output blob, then publishes what it took; or fails the node (advance.ts `fail`:
 * failure policy, what it frees published).
 * @param payload the rejecting signal's payload, quoted in the error when known.
 */
async function settle(
  engine: Engine,
  run: LoadedRun,
  node: WorkflowNode,
  decision: ParkDecision,
  lease: string,
  generation: number | undefined,
  payload?: unknown,
): Promise<void> {
  const runId = run.frozen.runId;
  if (decision.outcome === "failed") {
    // a sensitive node's error stays free of what the signal carried
    const quoted = node.sensitive ? undefined : payload;
    await fail(engine, runId, node.id, failureText(node, decision.source, quoted), lease, undefined, generation);
    return;
  }
  const [text] = node.sensitive ? [SENSITIVE_EXCERPT] : await engine.blobs.getMany([decision.ref]);
  const completion = {
    outputRef: decision.ref,
    inputTokens: 0,
    outputTokens: 0,
    model: "",
    excerpt: (text ?? "").slice(0, EXCERPT_CHARS),
    finishedAt: decision.at,
  };
  const t = await bookIfFinished(
    engine,
    runId,
    await engine.store.completeNode(runId, node.id, completion, { generation }),
  );
  await publishTaken(engine, runId, t.dispatch, generation);
}

/** The error of a wait node that a decision fails: rejected by a signal, or its timeout with no (approving) signal. */
function failureText(node: WorkflowNode, source: string, payload: unknown): string {
  if (source === "signal") {
    const quoted = payload === undefined ? "" : `: ${JSON.stringify(payload).slice(0, 200)}`;
    return `rejected by signal${quoted}`;
  }
  const within = `no signal within ${waitTimeout(node).label}`;
  return node.wait?.onTimeout === "default" ? `rejected by its default signal (${within})` : within;
}

/** Publishes the timeout message of wait node `nodeId`, parked under `generation`, for `deadline` (ms). */
async function publishTimeout(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  generation: number,
  deadline: number,
): Promise<void> {
  const runId = run.frozen.runId;
  await engine.dispatcher.timer(
    { baseUrl: run.frozen.baseUrl },
    {
      runId,
      path: WAIT_TIMEOUT_PATH,
      body: { runId, nodeId, generation },
      notBeforeMs: deadline,
      deduplicationId: `${deduplicationId(runId, nodeId, generation)}.wait`,
      retries: WAIT_TIMEOUT_RETRIES,
    },
  );
}

/**
 * Completes a wait node this delivery holds without asking (its `wait.when` is false): its output
 * `{"approved": true, "payload": null, "asked": false}` is written, the decision recorded (meta `resolved:<id>`,
 * source {@link CONDITION_SOURCE}: park-store.ts `queueDecided`) and complete_node run, all in one request; then what
 * the completion took is published. When that request fails, the blob is written again on its own before the error
 * is thrown (as advance.ts `recordCompletion`); the delivery's retry takes the node over, finds the same upstream
 * outputs, and completes it the same way.
 * @throws whatever Redis or QStash throw.
 */
async function completeUnasked(
  engine: Engine,
  run: LoadedRun,
  node: WorkflowNode,
  generation: number | undefined,
): Promise<{ kind: "skipped"; reason: string; stillQueued: readonly string[] }> {
  const runId = run.frozen.runId;
  const now = engine.now();
  const text = JSON.stringify({ approved: true, payload: null, asked: false });
  const blob = await engine.blobs.prepare(text, {
    encrypt: node.sensitive === true,
    ttlSeconds: liveBlobTtlSeconds(engine.config),
  });
  const gen = generation ?? (await engine.store.parks.generation(runId)) ?? run.frozen.createdAt;
  const completion = {
    outputRef: blob.ref,
    inputTokens: 0,
    outputTokens: 0,
    model: "",
    excerpt: node.sensitive ? SENSITIVE_EXCERPT : text.slice(0, EXCERPT_CHARS),
    finishedAt: now,
  };
  let t;
  try {
    t = await engine.store.completeNode(runId, node.id, completion, {
      generation,
      first: (p) => {
        blob.queueWrites(p);
        engine.store.parks.queueDecided(p, runId, node.id, {
          generation: gen,
          source: CONDITION_SOURCE,
          at: now,
          ref: blob.ref,
        });
      },
    });
  } catch (err) {
    await engine.blobs.write(blob).catch((writeErr: unknown) => {
      console.error(`wait node ${runId}/${node.id}: the output blob's own write failed too (${String(writeErr)})`);
    });
    throw err;
  }
  await publishTaken(engine, runId, (await bookIfFinished(engine, runId, t)).dispatch, generation);
  return { kind: "skipped", reason: WAIT_NOT_ASKED, stillQueued: [] };
}
