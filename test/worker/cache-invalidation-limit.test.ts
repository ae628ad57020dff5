import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_GENERATION_FIELDS } from "../../shared/cache/generations.js";
import { tenantCacheKeys } from "../../shared/cache/keys.js";
import { testRedis } from "./helpers.js";

/** Tenant `cron` (API key `cron-key`): no other worker test invalidates its cache. */
const TENANT = "cron";
const auth = { authorization: "Bearer cron-key" };
const gen = tenantCacheKeys(env.KEY_PREFIX as string, TENANT).gen;
const filler = Array.from({ length: MAX_GENERATION_FIELDS }, (_, i) => `node:junk-flow:n${i}`);

const invalidate = (query: string) =>
  SELF.fetch(`http://agent-dag.test/v1/cache?${query}`, { method: "DELETE", headers: auth });

describe("DELETE /v1/cache (DoS: the generations hash has no TTL, so its size is bounded)", () => {
  afterAll(async () => {
    await testRedis().hdel(gen, ...filler, "node:junk-flow:kept");
  });

  it("DoS: once full, a never-seen random node is refused with 409 cache-invalidation-limit and adds nothing; all=true still works", async () => {
    const redis = testRedis();
    // one selector already used, then the hash filled to its limit (as MAX_GENERATION_FIELDS random invalidations would)
    expect((await invalidate("workflow=junk-flow&node=kept")).status).toBe(200);
    await redis.hset(
      gen,
      Object.fromEntries(filler.slice(0, MAX_GENERATION_FIELDS - (await redis.hlen(gen))).map((f) => [f, 1])),
    );
    const size = await redis.hlen(gen);
    expect(size).toBeGreaterThanOrEqual(MAX_GENERATION_FIELDS);

    const res = await invalidate(`workflow=junk-flow&node=random-${crypto.randomUUID()}`);
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = (await res.json()) as { type: string; detail: string };
    expect(body.type).toBe("https://agent-dag.dev/problems/cache-invalidation-limit");
    expect(body.detail).toContain("all=true");
    expect(await redis.hlen(gen)).toBe(size);

    // a selector already in the hash, and everything, stay accepted
    expect((await invalidate("workflow=junk-flow&node=kept")).status).toBe(200);
    const all = await invalidate("all=true");
    expect(all.status).toBe(200);
    expect(await redis.hlen(gen)).toBeLessThanOrEqual(size + 1);
  });
});
