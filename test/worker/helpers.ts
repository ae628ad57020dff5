import { env, SELF } from "cloudflare:test";
import { Redis } from "@upstash/redis/cloudflare";
import { SignJWT } from "jose";

/** The local stack's Upstash Redis REST client, for checking what the worker wrote. */
export function testRedis(): Redis {
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    automaticDeserialization: false,
    enableTelemetry: false,
  });
}

/** Every key under the worker tests' prefix, sorted (SCAN, so it never blocks Redis). */
export async function keysUnderPrefix(): Promise<string[]> {
  const redis = testRedis();
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, { match: `${env.KEY_PREFIX}:*`, count: 1000 });
    cursor = String(next);
    found.push(...keys);
  } while (cursor !== "0");
  // SCAN's order changes when Redis rehashes, so callers compare sorted lists
  return found.sort();
}

/** POST /v1/runs through the worker. */
export function postRun(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch("http://agent-dag.test/v1/runs", {
    method: "POST",
    headers: { authorization: "Bearer dev-key", "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * A QStash-style signature (docs/upstash-protocols.md B6): HS256 JWT with iss "Upstash", sub = url, body = base64url
 * SHA-256 of the body, signed with `key` (default: the dev current signing key); `times` overrides exp/nbf (s).
 */
export async function sign(
  url: string,
  body: string,
  key = env.QSTASH_CURRENT_SIGNING_KEY,
  times: { exp?: number; nbf?: number } = {},
): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  const b64url = btoa(String.fromCharCode(...digest))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ body: b64url })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(url)
    .setIssuedAt(now)
    .setNotBefore(times.nbf ?? now)
    .setExpirationTime(times.exp ?? now + 300)
    .setJti(`jwt_${crypto.randomUUID()}`)
    .sign(new TextEncoder().encode(key));
}
