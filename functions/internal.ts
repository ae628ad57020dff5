import { type Context, Hono } from "hono";
import type { ExecuteMessage } from "../shared/dispatch/dispatcher.js";
import { advance, errorMessage, fail, publishTaken } from "../shared/engine/advance.js";
import { attemptFailure, errorText } from "../shared/engine/attempt-failure.js";
import { type DeliveryOutcome, runDelivery } from "../shared/engine/delivery.js";
import type { Engine } from "../shared/engine/engine.js";
import { siblingLease, siblingMessageId } from "../shared/engine/sibling-groups.js";
import { traceRunEnd } from "../shared/engine/trace-run-end.js";
import { problem, problemResponse } from "../shared/errors/problem.js";
import {
  base64ToText,
  executeMessageSchema,
  MAX_DISPATCH_IN_ANSWER,
  qstashCallbackSchema,
} from "../shared/schema/qstash-callback.js";
import type { DeliveryToken, DeliveryTokenStore } from "../shared/state/delivery-tokens.js";
import type { AppEnv } from "./app-env.js";
import { httpCallbackRoutes } from "./http-callbacks.js";
import { refuseUnsafeDeployment } from "./middleware/deployment-guard.js";
import { qstashSignature } from "./middleware/qstash-signature.js";
import { traceDelivery } from "./middleware/trace-delivery.js";
import { scheduleFiringRoutes } from "./schedule-firing.js";
import { waitTimeoutRoutes } from "./signal.js";

/**
 * `/internal/*`: called by QStash only, every request signature-checked. `execute` turns a node into an output
 * (shared/engine/execute-node.ts, which knows nothing of the DAG) and then, unless its message leaves that to the
 * success callback, advances the DAG (shared/engine/advance.ts, which knows nothing of LLMs); `callback` advances
 * after an attempt QStash reports, `failure` after retries ran out.
 */
export const internalRoutes = new Hono<AppEnv>();

// an unsafe production deploy (development signing keys: forgeable signatures) takes no delivery, before any read
internalRoutes.use("*", refuseUnsafeDeployment(), qstashSignature());
// with tracing on, a delivery runs in its run's trace scope (the message's `traceparent`); off, nothing
internalRoutes.use("/execute", traceDelivery());

// an http node's callbacks (shared/http/): signed like every route here
internalRoutes.route("/http", httpCallbackRoutes);
// a wait node's timeout message (functions/signal.ts, shared/engine/wait-node.ts)
internalRoutes.route("/wait-timeout", waitTimeoutRoutes);
// a schedule's firing (functions/schedule-firing.ts)
internalRoutes.route("/schedule", scheduleFiringRoutes);

/** Answer QStash must not retry: 489 + `Upstash-NonRetryable-Error: true` (docs/upstash-protocols.md B5). */
function nonRetryable(detail: string): Response {
  return problemResponse(problem("non-retryable", detail), { "Upstash-NonRetryable-Error": "true" });
}

/** The claim's reason for a replayed copy of a signed delivery (claim-node.ts). */
const REPLAYED = "replayed-delivery";

/** Reasons a delivery may give for ending before its claim ran (take-node.ts): its token is recorded separately. */
const BEFORE_CLAIM: ReadonlySet<string> = new Set(["run-missing", "unknown-node", "cancelled"]);

/**
 * 409 `replayed-delivery`: the request's signed token was used before. Not 2xx and not 489, so were it ever QStash's
 * own copy, QStash retries with a token of its own and the engine decides from the node's state.
 */
function replayed(jti: string): Response {
  return problemResponse(problem(REPLAYED, `Upstash-Signature token ${jti} was already used`));
}

/**
 * Records the single use of a callback's token (delivery-tokens.ts): one script call, before the callback changes
 * anything.
 * @returns the 409 answer for a replayed copy, else null.
 * @throws Error when Redis fails (the answer is 5xx and QStash retries with a new token).
 */
async function refuseReplay(tokens: DeliveryTokenStore, token: DeliveryToken, runId: string): Promise<Response | null> {
  return (await tokens.claim(tokens.bind(token, runId))) ? null : replayed(token.jti);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * `/internal/execute`: runs one delivery (shared/engine/delivery.ts): the message's node, its completion recorded
 * with the output blob in one Redis request, and for a `chain: true` message the nodes its completions take, up to
 * the run's `nodesPerDelivery`. Then it publishes what the last completion took, so a dependent starts without
 * waiting for a QStash callback; for an `advanceBy: "callback"` message it answers that list instead (`completion`;
 * null beyond MAX_DISPATCH_IN_ANSWER) and `/internal/callback` publishes it once the slot is free. The answer is the
 * first node's result plus the nodes started after it (`chained`). A delivery of a finished node publishes again
 * what its completion took that is still `queued` (and resumes a chain left unfinished). A delivery that finds its
 * node held by another attempt (the same delivery sent twice, an older attempt) waits for that attempt's outcome
 * (shared/engine/take-node.ts) and never answers 2xx before knowing it: past what it may wait, it answers 429
 * `node-busy` with `Retry-After` (the holder's deadline). A failed attempt of the message's own node is answered by
 * {@link failedAttempt}; retries exhausted reach `/internal/failure`. A message with `siblings` (a group of a map's
 * children) runs each child so, side by side under a lease of its own, and answers once ({@link groupAnswer}).
 */
internalRoutes.post("/execute", async (c) => {
  const msg = executeMessageSchema.safeParse(parseJson(c.get("rawBody")));
  if (!msg.success) return nonRetryable("execute message must be {runId, nodeId}");
  const { runId, nodeId, generation } = msg.data;
  const lease = `${c.req.header("upstash-message-id") ?? "unknown"}:${c.req.header("upstash-retried") ?? "0"}`;
  const services = c.get("services");
  const token = services.deliveryTokens.bind(c.get("deliveryToken"), runId);
  const delivery = { runId, nodeId, chain: msg.data.chain === true, generation, fresh: msg.data.fresh === true, token };
  const siblings = msg.data.siblings ?? [];
  if (siblings.length === 0)
    return answerDelivery(c, msg.data, lease, await runDelivery(services.engine, delivery, lease));
  // a group of a map's children: each runs under a lease of its own, side by side (shared/engine/sibling-groups.ts)
  // every child settles before the answer, so a failing one cannot cut the others' work short; a grouped child runs
  // alone (no chain), so the delivery runs at most nodesPerDelivery nodes
  const settled = await Promise.allSettled(
    [nodeId, ...siblings].map(async (id, i) => {
      const own = siblingLease(lease, i);
      const outcome = await runDelivery(services.engine, { ...delivery, nodeId: id, chain: false }, own);
      return answerDelivery(c, { ...msg.data, nodeId: id }, own, outcome);
    }),
  );
  const thrown = settled.filter((r) => r.status === "rejected").map((r) => r.reason as unknown);
  for (const err of thrown.slice(1)) console.error(`execute ${runId}: a grouped child also failed: ${errorText(err)}`);
  if (thrown.length > 0) throw thrown[0];
  return groupAnswer(settled.map((r) => (r as PromiseFulfilledResult<Response>).value));
});

/**
 * The answer to one node's delivery (the message's, or one child of a group under its own lease): see
 * `/internal/execute` above.
 * @throws when Redis or QStash fail (the answer is then 5xx and QStash retries the message).
 */
async function answerDelivery(
  c: Context<AppEnv>,
  msg: Pick<ExecuteMessage, "runId" | "nodeId" | "advanceBy" | "generation">,
  lease: string,
  outcome: DeliveryOutcome,
): Promise<Response> {
  const { runId, nodeId, advanceBy, generation } = msg;
  const { engine, deliveryTokens } = c.get("services");
  const token = deliveryTokens.bind(c.get("deliveryToken"), runId);
  // the claim script recorded the token's single use; a delivery that may have ended before its claim (an unknown
  // run or node, a cancel) records it here, so that a replayed copy is refused whatever the outcome
  // (delivery-tokens.ts; a token this request's claim already recorded passes)
  if (
    outcome.kind === "skipped" &&
    (outcome.reason === REPLAYED ||
      (BEFORE_CLAIM.has(outcome.reason) && !(await deliveryTokens.claim(token).catch(() => true))))
  )
    return replayed(c.get("deliveryToken").jti);
  if (outcome.kind === "failed")
    return failedAttempt(engine, { runId, nodeId, lease, generation }, outcome.error, advanceBy !== "callback");
  if (outcome.kind === "busy") {
    // another attempt holds the node and its outcome is unknown: never a 2xx (QStash would take it for this
    // attempt's), but a retry once the holder's deadline has passed (docs/upstash-protocols.md B5, Retry-After)
    const detail = `node ${outcome.nodeId} is held by another attempt; retry after ${outcome.retryAfterSeconds} s`;
    return problemResponse(problem("node-busy", detail), { "Retry-After": String(outcome.retryAfterSeconds) });
  }
  if (outcome.kind === "skipped") {
    const dispatched = await publishTaken(engine, runId, outcome.stillQueued, generation);
    return c.json({ skipped: true, reason: outcome.reason, dispatched });
  }
  const { first, chained, last } = outcome;
  // with tracing on, the transition that ended the run ends its root span
  await traceRunEnd(engine, runId, last);
  if (advanceBy === "callback") {
    const dispatch = last.dispatch.length <= MAX_DISPATCH_IN_ANSWER ? last.dispatch : null;
    return c.json({ ...first, chained, completion: { applied: last.applied, runStatus: last.runStatus, dispatch } });
  }
  const dispatched = await publishTaken(engine, runId, last.dispatch, generation);
  return c.json({
    ...first,
    chained,
    advanced: { kind: "completed", applied: last.applied, dispatched, runStatus: last.runStatus },
  });
}

/**
 * One answer for a group's deliveries ({@link answerDelivery} each, in the group's order): when one asks QStash to
 * come back (any status but 2xx and 489: a replay, a busy node, a retryable failure), the one with the shortest
 * `Retry-After` (none: at once), since the message is retried whole (its finished children are then skipped); else
 * 489 when every child failed for good (each is recorded failed), so QStash sends the failure callback as for one
 * node; else 200 with each child's answer.
 */
async function groupAnswer(answers: readonly Response[]): Promise<Response> {
  const after = (r: Response) => Number(r.headers.get("retry-after") ?? "0") || 0;
  const again = answers.filter((r) => !r.ok && r.status !== 489).sort((a, b) => after(a) - after(b))[0];
  if (again) return again;
  if (answers.every((r) => r.status === 489)) return answers[0] as Response;
  const bodies = await Promise.all(answers.map((r) => r.json()));
  return Response.json({ group: bodies });
}

/**
 * The answer to an attempt that threw, after recording it when `record` (the run advances in execute; otherwise
 * QStash's success callback reports the attempt and `/internal/callback` records it, so recording here would do it
 * twice). Whether it is retryable is {@link attemptFailure}'s verdict:
 * - non-retryable (489): the node is failed now, its descendants skipped, provided this delivery still holds it
 *   (lease); QStash then sends the failure callback, which changes nothing more. If failing it throws (Redis or
 *   the publish of what it freed), the answer is 500 instead, so QStash's retry records it (or, finding the node
 *   failed, publishes what it freed);
 * - provider rate limit (429 with `Retry-After`) or any other error (500): the node shows `retrying` with the error
 *   until a retry claims it. Recording this is best effort (logged when Redis fails): the answer is the same, and
 *   the retry or the failure callback brings the node's state up to date.
 */
async function failedAttempt(
  engine: Engine,
  at: { runId: string; nodeId: string; lease: string; generation?: number | undefined },
  err: unknown,
  record: boolean,
): Promise<Response> {
  const { retryable, reason, retryAfterSeconds } = attemptFailure(err);
  if (!retryable) {
    if (record) {
      try {
        const t = await fail(engine, at.runId, at.nodeId, reason, at.lease, undefined, at.generation);
        // with tracing on, a failure that ended the run ends its root span
        if (t.kind === "failed") await traceRunEnd(engine, at.runId, t);
      } catch (recordErr) {
        console.error(
          `execute ${at.runId}/${at.nodeId}: could not fail the node (${errorText(recordErr)}); answering 500 so QStash retries`,
        );
        return problemResponse(
          problem("node-attempt-failed", `${reason} (and recording the failure failed: ${errorText(recordErr)})`),
        );
      }
    }
    return nonRetryable(reason);
  }
  const response =
    retryAfterSeconds !== undefined
      ? problemResponse(problem("provider-rate-limited", reason), { "Retry-After": String(retryAfterSeconds) })
      : problemResponse(problem("node-attempt-failed", errorText(err)));
  if (record) {
    await engine.store.retryNode(at.runId, at.nodeId, reason, at.lease).catch((recordErr: unknown) => {
      console.error(`execute ${at.runId}/${at.nodeId}: could not mark the node retrying (${errorText(recordErr)})`);
    });
  }
  return response;
}

/**
 * Parses a callback body, or answers the non-retryable response: a body that is not a callback can never become
 * valid, so QStash must not retry it.
 */
function parseCallback(text: string) {
  const cb = qstashCallbackSchema.safeParse(parseJson(text));
  if (!cb.success) return nonRetryable("callback body is not a QStash callback");
  let source: ReturnType<typeof executeMessageSchema.safeParse> | undefined;
  try {
    source = executeMessageSchema.safeParse(parseJson(base64ToText(cb.data.sourceBody)));
  } catch {
    source = undefined;
  }
  if (!source?.success) return nonRetryable("callback sourceBody is not an execute message");
  let body: string;
  try {
    body = base64ToText(cb.data.body);
  } catch {
    // the node is known: its callback still counts (a failure still fails it); a 2xx answer that cannot be read
    // is treated like any other unreadable answer (advance.ts)
    body = "";
  }
  return { cb: cb.data, ...source.data, body };
}

internalRoutes.post("/callback", async (c) => {
  const parsed = parseCallback(c.get("rawBody"));
  if (parsed instanceof Response) return parsed;
  const { cb, runId, nodeId, body, generation } = parsed;
  const refused = await refuseReplay(c.get("services").deliveryTokens, c.get("deliveryToken"), runId);
  if (refused) return refused;
  const outcome = await advance(c.get("services").engine, {
    generation,
    runId,
    nodeId,
    status: cb.status,
    body,
    retried: cb.retried,
    maxRetries: cb.maxRetries,
    messageId: cb.sourceMessageId,
    callbackRetried: Number(c.req.header("upstash-retried") ?? "0") || 0,
  });
  return c.json(outcome);
});

/**
 * `/internal/failure`: QStash ran out of retries for an execute message. Fails its node (each node of a group) for
 * good (descendants skipped); for a node already done, publishes again what its transition took that is still `queued`, and releases
 * a chain node a delivery of the message left unfinished to a message of its own (advance.ts `fail`).
 */
internalRoutes.post("/failure", async (c) => {
  const parsed = parseCallback(c.get("rawBody"));
  if (parsed instanceof Response) return parsed;
  const { cb, runId, nodeId, body, generation, siblings } = parsed;
  const refused = await refuseReplay(c.get("services").deliveryTokens, c.get("deliveryToken"), runId);
  if (refused) return refused;
  const engine = c.get("services").engine;
  // a group's children each ran as the only node of a message of its own (shared/engine/sibling-groups.ts)
  const outcomes = [];
  for (const [i, id] of [nodeId, ...(siblings ?? [])].entries()) {
    const why = errorMessage({ status: cb.status, body });
    const outcome = await fail(engine, runId, id, why, undefined, siblingMessageId(cb.sourceMessageId, i), generation);
    if (outcome.kind === "failed") await traceRunEnd(engine, runId, outcome);
    outcomes.push(outcome);
  }
  return c.json(outcomes.length === 1 ? outcomes[0] : { group: outcomes });
});
