import type { Context } from "hono";
import type { StartRunOutcome } from "../shared/engine/start-run.js";
import type { AppEnv } from "./app-env.js";

/**
 * The answer to a start (`POST /v1/runs`, a webhook delivery): 202 `{runId, status, created, links}` for a new run,
 * 200 for an idempotent repeat, with `Location` naming the run view (RFC 9110 §10.2.2).
 */
export function runStartedResponse(c: Context<AppEnv>, outcome: StartRunOutcome): Response {
  const self = `/v1/runs/${outcome.runId}`;
  return c.json(
    {
      runId: outcome.runId,
      status: outcome.status,
      created: outcome.created,
      links: { self, output: `${self}/output` },
    },
    outcome.created ? 202 : 200,
    { Location: self },
  );
}
