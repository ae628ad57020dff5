import type { MiddlewareHandler } from "hono";
import { ProblemError, problem } from "../../shared/errors/problem.js";
import type { AppEnv } from "../app-env.js";
import { unsafeDeploymentReasons } from "../deployment-safety.js";

/**
 * Refuses work on a production deploy that is not safe to run (functions/deployment-safety.ts: development signing
 * keys, or no `PUBLIC_URL`), before the request body is read. `/healthz` reports the same reasons.
 * @throws ProblemError 503 `unsafe-deployment` naming each reason (`errors[].detail`); nothing is read or changed.
 */
export function refuseUnsafeDeployment(): MiddlewareHandler<AppEnv> {
  return async function guardDeployment(c, next) {
    const reasons = unsafeDeploymentReasons(c.get("services").config);
    if (reasons.length > 0) {
      throw new ProblemError(
        problem("unsafe-deployment", `This deploy refuses to start work: ${reasons.join("; ")}`, {
          errors: reasons.map((detail) => ({ pointer: "", detail })),
        }),
      );
    }
    await next();
  };
}
