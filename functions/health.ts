import { Hono } from "hono";
import { secretValuesOf } from "../shared/errors/redact.js";
import { describeForLog } from "../shared/errors/server-error.js";
import type { AppEnv } from "./app-env.js";
import { unsafeDeploymentReasons } from "./deployment-safety.js";

/**
 * `GET /healthz`: liveness, a Redis round trip and the deploy's safety (functions/deployment-safety.ts):
 * `{ ok, service, environment, deployment: { ok, problems }, redis: { ok, latencyMs | error } }`. 503 when Redis
 * fails or when this production deploy refuses to start work (development signing keys, no `PUBLIC_URL`), with
 * `deployment.problems` saying why.
 */
export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get("/", async (c) => {
  const { config, redis } = c.get("services");
  const problems = unsafeDeploymentReasons(config);
  const deployment = { ok: problems.length === 0, problems };
  const base = { service: "agent-dag", environment: config.environment, deployment };
  const started = Date.now();
  try {
    await redis.ping();
    return c.json(
      { ok: deployment.ok, ...base, redis: { ok: true, latencyMs: Date.now() - started } },
      deployment.ok ? 200 : 503,
    );
  } catch (err) {
    // unauthenticated callers read this: general words here, the error itself (redacted) in the log
    console.error(
      `healthz: Redis ping failed: ${describeForLog(err, secretValuesOf(c.env as Record<string, unknown>))}`,
    );
    return c.json({ ok: false, ...base, redis: { ok: false, error: "Redis did not answer" } }, 503);
  }
});
