import { Hono } from "hono";
import { tenantDailyLimits } from "../shared/budget/budget-spec.js";
import { tenantDayScope, utcDay } from "../shared/budget/scopes.js";
import { invalidRequest, ProblemError } from "../shared/errors/problem.js";
import type { AppEnv } from "./app-env.js";
import { apiKeyAuth } from "./middleware/api-key.js";

/**
 * `GET /v1/usage?day=YYYY-MM-DD`: the authenticated tenant's usage of one UTC day (default today): tokens and USD
 * used and held by calls in flight, and the day's limits from `TENANT_BUDGETS` (null when unlimited).
 * @throws ProblemError 422 when `day` is not a date.
 */
export const usageRoutes = new Hono<AppEnv>();

usageRoutes.use("*", apiKeyAuth());

usageRoutes.get("/", async (c) => {
  const { engine, config } = c.get("services");
  const tenant = c.get("tenant");
  const day = c.req.query("day") ?? utcDay(engine.now());
  const ms = Date.parse(`${day}T12:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(ms)) {
    throw new ProblemError(
      invalidRequest("day must be a UTC date YYYY-MM-DD", { errors: [{ pointer: "", detail: "query parameter day" }] }),
    );
  }
  const usage = await engine.budgets.store.usage(tenantDayScope(tenant, ms));
  const limits = tenantDailyLimits(config.tenantBudgets, tenant) ?? null;
  return c.json({
    tenant,
    day,
    usedTokens: usage.usedTokens,
    usedUsd: usage.usedUsd,
    reservedTokens: usage.reservedTokens,
    reservedUsd: usage.reservedUsd,
    limits,
  });
});
