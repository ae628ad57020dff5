import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { ProblemError, payloadTooLarge, unauthorized } from "../../shared/errors/problem.js";
import { MAX_HTTP_CALLBACK_BODY_BYTES } from "../../shared/http/http-limits.js";
import type { AppEnv } from "../app-env.js";
import { MAX_QSTASH_BODY_BYTES, readCappedBody } from "./capped-body.js";

/**
 * Seconds of clock difference tolerated on a token's `nbf` and `exp` (the Receiver's default is 0,
 * docs/upstash-protocols.md B7); the replay record outlives `exp` by as much.
 */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** The claims the replay check needs, read from a token the Receiver already verified. */
const replayClaimsSchema = z.object({
  jti: z.string().min(1).max(256),
  exp: z.number().int().positive(),
});

/** The payload (middle part) of a compact JWT, parsed; undefined when it is not base64url JSON. */
function jwtPayload(token: string): unknown {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const b64 = part.replaceAll("-", "+").replaceAll("_", "/");
    const binary = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Verifies `Upstash-Signature` on every `/internal/*` request, each refusal changing nothing: the header is present;
 * the body is at most {@link MAX_QSTASH_BODY_BYTES} (`MAX_HTTP_CALLBACK_BODY_BYTES` for an http node's callback,
 * `/internal/http/*`; a larger `Content-Length` refused unread, a chunked body abandoned past the cap); `@upstash/qstash`'s Receiver (dev mode pinned off, functions/services.ts) checks iss,
 * exp/nbf within {@link CLOCK_TOLERANCE_SECONDS}, `sub` = `PUBLIC_URL` (the request's origin only in development)
 * plus the path and `body` = SHA-256 of the raw body (docs/upstash-protocols.md B6, B7); the token has a `jti` and
 * `exp`. Then it stores the raw body in `rawBody` and the token in `deliveryToken`: the route records the token's single
 * use once the body names the run (shared/state/delivery-tokens.ts; the execute path inside its claim script), and
 * refuses a replayed copy (even with other `Upstash-Message-Id` / `Upstash-Retried`, which the signature does not
 * cover) with 409 `replayed-delivery` before it reaches the engine. QStash signs each attempt with a fresh token, so
 * its retries pass.
 * @throws ProblemError 401 `unauthorized` (no header, bad signature, no `jti`/`exp`); 413 `payload-too-large`.
 */
export function qstashSignature(): MiddlewareHandler<AppEnv> {
  return async function verifyQStashSignature(c, next) {
    const signature = c.req.header("upstash-signature");
    if (!signature) throw new ProblemError(unauthorized("Missing Upstash-Signature"));
    // an http node's callback carries the endpoint's response (shared/http/http-limits.ts)
    const cap = new URL(c.req.url).pathname.startsWith("/internal/http/")
      ? MAX_HTTP_CALLBACK_BODY_BYTES
      : MAX_QSTASH_BODY_BYTES;
    const read = await readCappedBody(c.req.raw, cap);
    if (!read.ok) throw new ProblemError(payloadTooLarge(cap));
    const body = read.text;
    const { config, receiver } = c.get("services");
    const requestUrl = new URL(c.req.url);
    const url = `${config.publicUrl ?? requestUrl.origin}${requestUrl.pathname}`;
    try {
      await receiver.verify({ signature, body, url, clockTolerance: CLOCK_TOLERANCE_SECONDS });
    } catch (err) {
      throw new ProblemError(unauthorized(`Invalid Upstash-Signature: ${(err as Error).message}`), { cause: err });
    }
    const claims = replayClaimsSchema.safeParse(jwtPayload(signature));
    if (!claims.success) throw new ProblemError(unauthorized("Upstash-Signature token has no jti or exp"));
    // single use is recorded by the route, once the body names the run (delivery-tokens.ts): the execute path does it
    // inside its claim script, without a round trip of its own
    const ttlMs = (claims.data.exp + CLOCK_TOLERANCE_SECONDS) * 1000 - Date.now();
    // the same delivery sent twice (same headers) is not a replay: the claim handles it without a second call
    const lease = `${c.req.header("upstash-message-id") ?? "unknown"}:${c.req.header("upstash-retried") ?? "0"}`;
    c.set("deliveryToken", { jti: claims.data.jti, ttlMs, lease });
    c.set("rawBody", body);
    await next();
  };
}
