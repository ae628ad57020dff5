import { Hono } from "hono";
import { GenerationsFullError } from "../shared/cache/generations-full-error.js";
import { cacheInvalidationQuerySchema, cacheStatsQuerySchema } from "../shared/cache/query-schemas.js";
import { invalidRequest, ProblemError, problem } from "../shared/errors/problem.js";
import { zodIssuesToFieldErrors } from "../shared/errors/zod-issues.js";
import type { AppEnv } from "./app-env.js";
import { apiKeyAuth } from "./middleware/api-key.js";

/**
 * `/v1/cache`: the authenticated tenant's result cache.
 * - `GET /v1/cache/stats[?workflow=<name>]`: hits, shared calls, misses, hit rate, tokens and USD saved, overall
 *   and per workflow.
 * - `DELETE /v1/cache?workflow=<name>[&node=<id>] | ?tag=<tag> | ?all=true`: invalidates the matching entries by
 *   bumping a generation counter (no keyspace scan; old entries become unreachable and expire with their TTL).
 * @throws ProblemError 422 naming the query parameter at fault; 409 `cache-invalidation-limit` when the selector
 *   was never invalidated and the tenant's generations are full (shared/cache/generations.ts).
 */
export const cacheRoutes = new Hono<AppEnv>();

cacheRoutes.use("*", apiKeyAuth());

function parseQuery<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import("zod").ZodError } },
  query: Record<string, string>,
): T {
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    throw new ProblemError(invalidRequest("Invalid query", { errors: zodIssuesToFieldErrors(parsed.error) }));
  }
  return parsed.data;
}

cacheRoutes.get("/stats", async (c) => {
  const { workflow } = parseQuery(cacheStatsQuerySchema, c.req.query());
  const stats = await c.get("services").engine.cache.stats(c.get("tenant"), workflow);
  return c.json({ tenant: c.get("tenant"), ...stats });
});

cacheRoutes.delete("/", async (c) => {
  const selector = parseQuery(cacheInvalidationQuerySchema, c.req.query());
  const bumped = await c
    .get("services")
    .engine.cache.invalidate(c.get("tenant"), selector)
    .catch((err: unknown) => {
      if (err instanceof GenerationsFullError)
        throw new ProblemError(problem("cache-invalidation-limit", err.message, { instance: c.req.path }));
      throw err;
    });
  return c.json({ tenant: c.get("tenant"), invalidated: selector, ...bumped });
});
