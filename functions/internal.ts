import { Hono } from "hono";
import { advance, errorMessage, fail } from "../shared/engine/advance.js";
import { executeNode } from "../shared/engine/execute-node.js";
import { problem, problemResponse } from "../shared/errors/problem.js";
import { isPermanentBlobError } from "../shared/blobs/blob-errors.js";
import { ProviderError } from "../shared/providers/provider.js";
import { base64ToText, executeMessageSchema, qstashCallbackSchema } from "../shared/schema/qstash-callback.js";
import type { AppEnv } from "./app-env.js";
import { qstashSignature } from "./middleware/qstash-signature.js";

/**
 * `/internal/*`: called by QStash only, every request signature-checked. `execute` turns a node into an output
 * (and knows nothing of the DAG); `callback` and `failure` advance the DAG (and know nothing of LLMs).
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

internalRoutes.post("/execute", async (c) => {
  const msg = executeMessageSchema.safeParse(parseJson(c.get("rawBody")));
  if (!msg.success) return nonRetryable("execute message must be {runId, nodeId}");
  const { runId, nodeId } = msg.data;
  const lease = `${c.req.header("upstash-message-id") ?? "unknown"}:${c.req.header("upstash-retried") ?? "0"}`;
  try {
    const outcome = await executeNode(c.get("services").engine, runId, nodeId, lease);
    if (outcome.kind === "skipped") return c.json({ skipped: true, reason: outcome.reason });
    return c.json(outcome.result);
  } catch (err) {
    if (isPermanentBlobError(err)) return nonRetryable(`${err.name}: ${err.message}`);
    if (err instanceof ProviderError) {
      if (err.kind === "non-retryable") return nonRetryable(err.message);
      if (err.kind === "rate-limited") {
        return problemResponse(problem("provider-rate-limited", err.message), {
          "Retry-After": String(Math.max(1, Math.ceil(err.retryAfterSeconds ?? 1))),
        });
      }
    }
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return problemResponse(problem("node-attempt-failed", detail));
  }
});

/**
 * Parses a callback body, or answers the non-retryable response: a body that is not a callback can never become
 * valid, so QStash must not retry it.
 */
function parseCallback(text: string) {
  const cb = qstashCallbackSchema.safeParse(parseJson(text));
  if (!cb.success) return nonRetryable("callback body is not a QStash callback");
  let source;
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
  });
  return c.json(outcome);
});

internalRoutes.post("/failure", async (c) => {
  const parsed = parseCallback(c.get("rawBody"));
  if (parsed instanceof Response) return parsed;
  const { cb, runId, nodeId, body } = parsed;
  const outcome = await fail(c.get("services").engine, runId, nodeId, errorMessage({ status: cb.status, body }));
  return c.json(outcome);
});
