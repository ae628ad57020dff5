import { Hono } from "hono";
import type { AppEnv } from "./app-env.js";

/** `GET /healthz`: liveness plus a Redis round trip, `{ ok, redis: { ok, latencyMs } }`; 503 when Redis fails. */
export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get("/", async (c) => {
  const started = Date.now();
  try {
    await c.get("services").redis.ping();
    return c.json({ ok: true, service: "agent-dag", redis: { ok: true, latencyMs: Date.now() - started } });
  } catch (err) {
    return c.json({ ok: false, service: "agent-dag", redis: { ok: false, error: (err as Error).message } }, 503);
  }
});
