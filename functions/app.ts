import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { notFound, ProblemError, problem, problemResponse } from "../shared/errors/problem.js";
import { redactSecrets, secretValuesOf } from "../shared/errors/redact.js";
import { describeForLog, serverErrorProblem } from "../shared/errors/server-error.js";
import { agentRoutes } from "./agents.js";
import type { AppEnv } from "./app-env.js";
import { cacheRoutes } from "./cache.js";
import { healthRoutes } from "./health.js";
import { hookRoutes } from "./hooks.js";
import { internalRoutes } from "./internal.js";
import { mcpRoutes } from "./mcp/routes.js";
import { flushTraces } from "./middleware/trace-delivery.js";
import { planRoutes } from "./plans.js";
import { runsRoutes } from "./runs.js";
import { scheduleRoutes } from "./schedules.js";
import { services } from "./services.js";
import { usageRoutes } from "./usage.js";
import { workflowRoutes } from "./workflows.js";

/**
 * The worker's Hono app: `/v1/runs`, `/v1/workflows`, `/v1/agents`, `/v1/plans`, `/v1/hooks` (deliveries signed, not keyed),
 * `/v1/schedules`, `/mcp` (the MCP server, docs/mcp.md),
 * `/internal/*` (QStash only), `/healthz`. Errors become
 * `application/problem+json` in exactly one place (`onError`): 4xx problems as raised; a 5xx problem with its
 * detail redacted of secrets; any other error as a 500 with a general detail (shared/errors/server-error.ts), the
 * full error (secrets redacted) going to the log.
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("services", services(c.env));
    await next();
  });
  // with tracing on, each request's spans go to the collector after the answer (waitUntil); off, nothing
  app.use("*", flushTraces());
  app.route("/healthz", healthRoutes);
  app.route("/v1/runs", runsRoutes);
  app.route("/v1/usage", usageRoutes);
  app.route("/v1/cache", cacheRoutes);
  app.route("/v1/workflows", workflowRoutes);
  app.route("/v1/agents", agentRoutes);
  app.route("/v1/plans", planRoutes);
  app.route("/v1/hooks", hookRoutes);
  app.route("/v1/schedules", scheduleRoutes);
  // the MCP server: its tools call the routes above in process, as the caller (functions/mcp/)
  app.route("/mcp", mcpRoutes(app.fetch));
  app.route("/internal", internalRoutes);
  app.notFound((c) => problemResponse(notFound(`No route ${c.req.method} ${c.req.path}`, { instance: c.req.path })));
  app.onError((err, c) => {
    if (err instanceof ProblemError) {
      const p = { ...err.problem, instance: err.problem.instance ?? c.req.path };
      if (p.status < 500) return problemResponse(p, err.headers);
      const secrets = secretValuesOf(c.env as unknown as Record<string, unknown>);
      return problemResponse({ ...p, detail: redactSecrets(p.detail, secrets) }, err.headers);
    }
    if (err instanceof HTTPException) {
      return problemResponse({ ...problem("invalid-request", err.message), status: err.status, title: "HTTP error" });
    }
    console.error("unhandled error", describeForLog(err, secretValuesOf(c.env as unknown as Record<string, unknown>)));
    return problemResponse(serverErrorProblem(err, c.req.path));
  });
  return app;
}
