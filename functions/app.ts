import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { notFound, ProblemError, problem, problemResponse } from "../shared/errors/problem.js";
import type { AppEnv } from "./app-env.js";
import { cacheRoutes } from "./cache.js";
import { healthRoutes } from "./health.js";
import { internalRoutes } from "./internal.js";
import { runsRoutes } from "./runs.js";
import { services } from "./services.js";
import { usageRoutes } from "./usage.js";

/**
 * The worker's Hono app: `/v1/runs`, `/internal/*` (QStash only), `/healthz`. Errors become
 * `application/problem+json` in exactly one place (`onError`).
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("services", services(c.env));
    await next();
  });
  app.route("/healthz", healthRoutes);
  app.route("/v1/runs", runsRoutes);
  app.route("/v1/usage", usageRoutes);
  app.route("/v1/cache", cacheRoutes);
  app.route("/internal", internalRoutes);
  app.notFound((c) => problemResponse(notFound(`No route ${c.req.method} ${c.req.path}`, { instance: c.req.path })));
  app.onError((err, c) => {
    if (err instanceof ProblemError)
      return problemResponse({ ...err.problem, instance: err.problem.instance ?? c.req.path });
    if (err instanceof HTTPException) {
      return problemResponse({ ...problem("invalid-request", err.message), status: err.status, title: "HTTP error" });
    }
    console.error("unhandled error", err);
    return problemResponse({
      type: "about:blank",
      title: "Internal Server Error",
      status: 500,
      detail: (err as Error).message,
      instance: c.req.path,
    });
  });
  return app;
}
