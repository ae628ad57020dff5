import { Hono } from "hono";
import { z } from "zod";
import { cancelRun, retryOrRerun } from "../shared/engine/run-actions.js";
import { idempotencyConflict, invalidRequest, notFound, ProblemError, problem } from "../shared/errors/problem.js";
import { MAX_IDEMPOTENCY_KEY_CHARS } from "../shared/schema/trigger.js";
import { NODE_ID_RE } from "../shared/schema/workflow.js";
import type { FrozenRun } from "../shared/state/run-types.js";
import type { AppEnv } from "./app-env.js";
import { jsonBodyLimit, parseJsonBody } from "./json-body.js";

/**
 * Operating a run (mounted under `/v1/runs`, behind its API-key check): `POST /:id/cancel`, `POST /:id/retry` and
 * `POST /:id/rerun {from}`. A run of another tenant answers 404 like an unknown one; a bad request answers a
 * problem naming the field (JSON pointer) and changes nothing; a state that forbids the action answers 409
 * (`run-finished`, `run-running`, `rerun-blocked`). Retry and rerun honour `Idempotency-Key`.
 */
export const runActionRoutes = new Hono<AppEnv>();

/** Largest body of an action request, bytes (`{"from": "<node id>"}` needs far less). */
const MAX_ACTION_BODY_BYTES = 4096;

const retryBodySchema = z.strictObject({});
/** Body of `POST /v1/runs/:id/rerun`: `from`, the node id to rerun from (also `from` of the MCP tool `retry_run`). */
export const rerunBodySchema = z.strictObject({
  from: z.string().regex(NODE_ID_RE, { message: "from must be a node id" }),
});

const limit = jsonBodyLimit(MAX_ACTION_BODY_BYTES);

/** The frozen run `runId` when it exists and belongs to the caller's tenant; else 404 (the same for both). */
export async function ownedRun(c: { get: (k: "services" | "tenant") => unknown }, runId: string): Promise<FrozenRun> {
  const { engine } = c.get("services") as AppEnv["Variables"]["services"];
  const frozen = /^run_[0-9a-f]{26}$/.test(runId) ? await engine.store.readFrozen(runId) : null;
  if (!frozen || frozen.tenant !== c.get("tenant")) {
    throw new ProblemError(
      notFound(`No run ${runId} (runs expire after their retention)`, { instance: `/v1/runs/${runId}` }),
    );
  }
  return frozen;
}

/** The JSON body parsed with `schema`; an empty body is `{}`. @throws ProblemError 400 or 422. */
export async function actionBody<T>(text: string, schema: z.ZodType<T>): Promise<T> {
  return parseJsonBody(text, schema, { emptyAs: {} });
}

/** The `Idempotency-Key` header of `POST /v1/runs`, retry and rerun: absent or 1..255 chars. @throws ProblemError 422. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header !== undefined && (header.length === 0 || header.length > MAX_IDEMPOTENCY_KEY_CHARS)) {
    throw new ProblemError(
      invalidRequest(`Idempotency-Key must be 1..${MAX_IDEMPOTENCY_KEY_CHARS} characters`, {
        errors: [{ pointer: "", detail: "Idempotency-Key header" }],
      }),
    );
  }
  return header;
}

runActionRoutes.post("/:id/cancel", limit, async (c) => {
  const runId = c.req.param("id");
  await ownedRun(c, runId);
  const out = await cancelRun(c.get("services").engine, runId);
  if (out.kind === "missing") throw new ProblemError(notFound(`No run ${runId}`, { instance: `/v1/runs/${runId}` }));
  if (out.kind === "finished" && out.status === "compensating") {
    throw new ProblemError(problem("run-running", `Run ${runId} is compensating; its compensations run to the end`));
  }
  if (out.kind === "finished") {
    throw new ProblemError(problem("run-finished", `Run ${runId} already ended ${out.status}; nothing to cancel`));
  }
  const self = `/v1/runs/${runId}`;
  if (out.kind === "already") return c.json({ runId, status: "cancelled", alreadyCancelled: true, links: { self } });
  return c.json({
    runId,
    status: "cancelled",
    alreadyCancelled: false,
    nodesCancelled: out.nodes,
    messagesCancelled: out.messagesCancelled,
    links: { self },
  });
});

runActionRoutes.post("/:id/retry", limit, async (c) => {
  const runId = c.req.param("id");
  const key = idempotencyKeyOf(c.req.header("idempotency-key"));
  await actionBody(await c.req.text(), retryBodySchema);
  const { tenant } = await ownedRun(c, runId);
  return answer(c, runId, await retryOrRerun(c.get("services").engine, { runId, idempotencyKey: key, tenant }));
});

runActionRoutes.post("/:id/rerun", limit, async (c) => {
  const runId = c.req.param("id");
  const key = idempotencyKeyOf(c.req.header("idempotency-key"));
  const body = await actionBody(await c.req.text(), rerunBodySchema);
  const frozen = await ownedRun(c, runId);
  if (!frozen.workflow.nodes.some((n) => n.id === body.from)) {
    throw new ProblemError(
      invalidRequest(`Run ${runId} has no node "${body.from}"`, {
        errors: [{ pointer: "/from", detail: "no such node in the run's workflow" }],
      }),
    );
  }
  const out = await retryOrRerun(c.get("services").engine, {
    runId,
    from: body.from,
    idempotencyKey: key,
    tenant: frozen.tenant,
  });
  return answer(c, runId, out, body.from);
});

/** The answer to a retry or rerun: 202 with the run's new try, or the problem its refusal means. */
function answer(
  c: { json: (body: unknown, status: 202) => Response },
  runId: string,
  out: Awaited<ReturnType<typeof retryOrRerun>>,
  from?: string,
): Response {
  const self = `/v1/runs/${runId}`;
  if (out.kind !== "refused") {
    return c.json(
      { runId, status: "running", try: out.try, reset: out.reset, ...(from ? { from } : {}), links: { self } },
      202,
    );
  }
  const opts = { instance: `${self}/${from ? "rerun" : "retry"}` };
  switch (out.reason) {
    case "missing":
      throw new ProblemError(notFound(`No run ${runId}`, opts));
    case "running":
      throw new ProblemError(problem("run-running", `Run ${runId} is still running; cancel it first`, opts));
    case "completed":
      throw new ProblemError(
        problem("run-finished", `Run ${runId} completed; nothing failed to retry (rerun a node instead)`, opts),
      );
    case "compensated":
      throw new ProblemError(
        problem("run-compensated", `Run ${runId} was compensated: its done work was undone, start a new run`, opts),
      );
    case "blocked":
      throw new ProblemError(
        problem(
          "rerun-blocked",
          `Rerunning "${from}" waits on "${out.detail}", which is not done and not rerun; retry the run`,
          {
            ...opts,
            errors: [{ pointer: "/from", detail: `dependency ${out.detail} is not done` }],
          },
        ),
      );
    case "unknown-node":
      throw new ProblemError(
        invalidRequest(`Run ${runId} has no node "${from}"`, {
          ...opts,
          errors: [{ pointer: "/from", detail: "no such node in the run" }],
        }),
      );
    default:
      throw new ProblemError(
        idempotencyConflict("Idempotency-Key was already used for a different action on this run", {
          ...opts,
          errors: [{ pointer: "", detail: "Idempotency-Key header" }],
        }),
      );
  }
}
