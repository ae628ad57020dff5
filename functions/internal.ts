import { Hono } from "hono";
import { isPermanentBlobError } from "../shared/blobs/blob-errors.js";
import { advance, errorMessage, fail, publishTaken } from "../shared/engine/advance.js";
import { runDelivery } from "../shared/engine/delivery.js";
import type { Engine } from "../shared/engine/engine.js";
import { problem, problemResponse } from "../shared/errors/problem.js";
import { ProviderError } from "../shared/providers/provider.js";
import {
  base64ToText,
  executeMessageSchema,
  MAX_DISPATCH_IN_ANSWER,
  qstashCallbackSchema,
} from "../shared/schema/qstash-callback.js";
import type { AppEnv } from "./app-env.js";
import { qstashSignature } from "./middleware/qstash-signature.js";

/**
 * `/internal/*`: called by QStash only, every request signature-checked. `execute` turns a node into an output
 * (shared/engine/execute-node.ts, which knows nothing of the DAG) and then, unless its message leaves that to the
 * success callback, advances the DAG (shared/engine/advance.ts, which knows nothing of LLMs); `callback` advances
 * after an attempt QStash reports, `failure` after retries ran out.
 */
export const internalRoutes = new Hono<AppEnv>();

internalRoutes.use("*", qstashSignature());

/** Answer QStash must not retry: 489 + `Upstash-NonRetryable-Error: true` (upstash-protocols.md B5). */
function nonRetryable(detail: string): Response {
  return problemResponse(problem("non-retryable", detail), { "Upstash-NonRetryable-Error": "true" });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * `/internal/execute`: runs the node, records its completion (its output blob written in the same Redis request),
 * and, for a message marked `chain: true`, goes on running the highest-priority node each completion takes, up to the
 * run's `nodesPerDelivery` (shared/engine/delivery.ts; what a completion takes besides is published on the way).
 * Then it advances the DAG in the same request (publishes the nodes the last completion took), so a dependent starts
 * without waiting for a QStash callback. For a message marked `advanceBy: "callback"` it answers with the nodes the
 * last completion took (`completion`; null beyond MAX_DISPATCH_IN_ANSWER, and the callback reads them back), which
 * `/internal/callback` publishes once the delivery's flow-control slot is free; such a message's own failed attempt
 * is only answered, and the callback records it (advance-site.ts says which runs advance where). The answer is the
 * result of the first node the delivery ran (the message's own, or the chain node it resumed) and lists the nodes
 * it started after it (`chained`). A delivery of a node already done publishes again what its
 * completion released but is still `queued` (and resumes a chain an earlier delivery of the message left
 * unfinished). A failed attempt of the message's own node is recorded before answering: `retrying` when QStash will
 * retry it, or the node failed (descendants skipped) when it must not be retried (489). Retries exhausted reach
 * `/internal/failure`.
 */
internalRoutes.post("/execute", async (c) => {
  const msg = executeMessageSchema.safeParse(parseJson(c.get("rawBody")));
  if (!msg.success) return nonRetryable("execute message must be {runId, nodeId}");
  const { runId, nodeId, advanceBy } = msg.data;
  const lease = `${c.req.header("upstash-message-id") ?? "unknown"}:${c.req.header("upstash-retried") ?? "0"}`;
  const engine = c.get("services").engine;
  const outcome = await runDelivery(engine, { runId, nodeId, chain: msg.data.chain === true }, lease);
  if (outcome.kind === "failed")
    return failedAttempt(engine, { runId, nodeId, lease }, outcome.error, advanceBy !== "callback");
  if (outcome.kind === "skipped") {
    const dispatched = await publishTaken(engine, runId, outcome.stillQueued);
    return c.json({ skipped: true, reason: outcome.reason, dispatched });
  }
  const { first, chained, last } = outcome;
  if (advanceBy === "callback") {
    const dispatch = last.dispatch.length <= MAX_DISPATCH_IN_ANSWER ? last.dispatch : null;
    return c.json({ ...first, chained, completion: { applied: last.applied, runStatus: last.runStatus, dispatch } });
  }
  const dispatched = await publishTaken(engine, runId, last.dispatch);
  return c.json({
    ...first,
    chained,
    advanced: { kind: "completed", applied: last.applied, dispatched, runStatus: last.runStatus },
  });
});

/**
 * The answer to an attempt that threw, after recording it when `record` (the run advances in execute; otherwise
 * QStash's success callback reports the attempt and `/internal/callback` records it, so recording here would do it
 * twice):
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
  at: { runId: string; nodeId: string; lease: string },
  err: unknown,
  record: boolean,
): Promise<Response> {
  // what the node records and a 489 says: a provider's own message, else the error's name and message
  const message = err instanceof ProviderError ? err.message : errorText(err);
  if (isPermanentBlobError(err) || (err instanceof ProviderError && err.kind === "non-retryable")) {
    if (record) {
      try {
        await fail(engine, at.runId, at.nodeId, message, at.lease);
      } catch (recordErr) {
        console.error(
          `execute ${at.runId}/${at.nodeId}: could not fail the node (${errorText(recordErr)}); answering 500 so QStash retries`,
        );
        return problemResponse(
          problem("node-attempt-failed", `${message} (and recording the failure failed: ${errorText(recordErr)})`),
        );
      }
    }
    return nonRetryable(message);
  }
  const response =
    err instanceof ProviderError && err.kind === "rate-limited"
      ? problemResponse(problem("provider-rate-limited", err.message), {
          "Retry-After": String(Math.max(1, Math.ceil(err.retryAfterSeconds ?? 1))),
        })
      : problemResponse(problem("node-attempt-failed", errorText(err)));
  if (record) {
    await engine.store.retryNode(at.runId, at.nodeId, message, at.lease).catch((recordErr: unknown) => {
      console.error(`execute ${at.runId}/${at.nodeId}: could not mark the node retrying (${errorText(recordErr)})`);
    });
  }
  return response;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
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
  const { cb, runId, nodeId, body } = parsed;
  const outcome = await advance(c.get("services").engine, {
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
 * `/internal/failure`: QStash ran out of retries for an execute message. Fails its node for good (descendants
 * skipped); for a node already done, publishes again what its transition took that is still `queued`, and releases
 * a chain node a delivery of the message left unfinished to a message of its own (advance.ts `fail`).
 */
internalRoutes.post("/failure", async (c) => {
  const parsed = parseCallback(c.get("rawBody"));
  if (parsed instanceof Response) return parsed;
  const { cb, runId, nodeId, body } = parsed;
  const outcome = await fail(
    c.get("services").engine,
    runId,
    nodeId,
    errorMessage({ status: cb.status, body }),
    undefined,
    cb.sourceMessageId,
  );
  return c.json(outcome);
});
