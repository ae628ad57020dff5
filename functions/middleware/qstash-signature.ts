import type { MiddlewareHandler } from "hono";
import { ProblemError, unauthorized } from "../../shared/errors/problem.js";
import type { AppEnv } from "../app-env.js";

/**
 * Verifies `Upstash-Signature` on every `/internal/*` request with `@upstash/qstash`'s Receiver (current key, then
 * next key; JWT claims iss, exp/nbf, `sub` = this URL, `body` = SHA-256 of the raw body: docs/upstash-protocols.md B6,
 * B7), then stores the raw body in the `rawBody` variable. The URL checked is `PUBLIC_URL` (or the request's own
 * origin) plus the path, so a token minted for one endpoint cannot be replayed at another.
 * @throws ProblemError 401 `unauthorized` when the header is missing or the signature does not verify; nothing is
 *   read or changed.
 */
export function qstashSignature(): MiddlewareHandler<AppEnv> {
  return async function verifyQStashSignature(c, next) {
    const signature = c.req.header("upstash-signature");
    if (!signature) throw new ProblemError(unauthorized("Missing Upstash-Signature"));
    const body = await c.req.text();
    const { config, receiver } = c.get("services");
    const requestUrl = new URL(c.req.url);
    const url = `${config.publicUrl ?? requestUrl.origin}${requestUrl.pathname}`;
    try {
      await receiver.verify({ signature, body, url });
    } catch (err) {
      throw new ProblemError(unauthorized(`Invalid Upstash-Signature: ${(err as Error).message}`), { cause: err });
    }
    c.set("rawBody", body);
    await next();
  };
}
