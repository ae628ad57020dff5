/**
 * Sizes and times of an http node's call (shared/http/http-call.ts, http-result.ts).
 */
import { EXECUTE_MARGIN_MS } from "../dispatch/dispatcher.js";
import { MAX_RETRY_BACKOFF_MS } from "../engine/stuck-nodes.js";

/**
 * Largest response an http node keeps as its output, in bytes (1 MB, ours). It sits below the 1 MiB of a response
 * the local QStash keeps for a callback (local/qstash/delivery.ts `MAX_KEPT_RESPONSE_BYTES`), so a response cut
 * there is still seen as too large; a larger response fails the node naming its size.
 */
export const MAX_HTTP_OUTPUT_BYTES = 1_000_000;

/**
 * Largest signed body `/internal/http/*` accepts, in bytes (3 MiB): QStash's callback carries the response
 * (base64, 4/3 of up to 1 MiB) and the request body (base64, 4/3 of at most 256 KiB: http-node.ts
 * `MAX_HTTP_BODY_BYTES`) in one JSON body, above the 1 MiB every other `/internal` route takes.
 */
export const MAX_HTTP_CALLBACK_BODY_BYTES = 3 * 1024 * 1024;

/**
 * QStash's delay before retry `n` (1-based), ms: `min(86400, e^(2.5 n))` s (upstash.com/docs/qstash/features/retry;
 * docs/upstash-protocols.md, "Default backoff").
 */
function backoffMs(n: number): number {
  return Math.min(MAX_RETRY_BACKOFF_MS, Math.round(Math.exp(2.5 * n) * 1000));
}

/**
 * How long an http node's call may stay live after the delivery that published it took the node, ms: every attempt
 * QStash may make (`retries + 1` of up to `timeoutMs` each), the default backoff between them, and the execute margin
 * for the publish and the callback's trip. Until then the node is left `running` to its call: no other delivery
 * takes it over, the sweeper does not re-offer it and a failure callback of another message does not fail it.
 */
export function httpCallSpanMs(timeoutMs: number, retries: number): number {
  let span = (retries + 1) * timeoutMs + EXECUTE_MARGIN_MS;
  for (let n = 1; n <= retries; n++) span += backoffMs(n);
  return span;
}
