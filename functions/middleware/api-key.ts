import type { MiddlewareHandler } from "hono";
import { ProblemError, unauthorized } from "../../shared/errors/problem.js";
import type { AppEnv } from "../app-env.js";

/**
 * Bearer API-key authentication (`Authorization: Bearer <key>`, RFC 6750 §2.1) against `API_KEYS`; sets the
 * `tenant` variable. Comparison runs over every configured key without early exit.
 * @throws ProblemError 401 `unauthorized` when the header is missing or the key unknown.
 */
export function apiKeyAuth(): MiddlewareHandler<AppEnv> {
  return async function authenticateApiKey(c, next) {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ProblemError(unauthorized("Missing Authorization: Bearer <api key>"));
    const presented = match[1] as string;
    let tenant: string | undefined;
    for (const [key, owner] of c.get("services").config.apiKeys) {
      if (timingSafeEqual(key, presented)) tenant = owner;
    }
    if (tenant === undefined) throw new ProblemError(unauthorized("Unknown API key"));
    c.set("tenant", tenant);
    await next();
  };
}

function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}
