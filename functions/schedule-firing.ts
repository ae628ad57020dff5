import { Hono } from "hono";
import { runIdFor, startRun } from "../shared/engine/start-run.js";
import { ProblemError, problem, problemResponse } from "../shared/errors/problem.js";
import { floorToMinute, latestFiring } from "../shared/schedules/schedule-cron.js";
import { scheduleFiringSchema } from "../shared/schedules/schedule-spec.js";
import type { AppEnv } from "./app-env.js";
import { resolveWorkflow } from "./resolve-workflow.js";

/**
 * Idempotency key of one firing of the tenant's schedule `id` at `firingMs` (unix ms, rounded down to the minute,
 * ISO 8601): a firing delivered twice, or retried, maps to one run. Used in the `scheduled` key space
 * (shared/engine/start-run.ts runIdFor), which API callers' `Idempotency-Key` headers cannot reach.
 */
export function scheduleIdempotencyKey(id: string, firingMs: number): string {
  return `schedule:${id}:${new Date(floorToMinute(firingMs)).toISOString()}`;
}

/** Answer QStash must not retry: 489 + `Upstash-NonRetryable-Error: true` (docs/upstash-protocols.md B5). */
function nonRetryable(detail: string): Response {
  return problemResponse(problem("non-retryable", detail), { "Upstash-NonRetryable-Error": "true" });
}

/**
 * `/internal/schedule` (mounted under `/internal`, signature-checked there): one firing of a QStash schedule made by
 * `PUT /v1/schedules/:id` (functions/schedules.ts). The signed body names the tenant and schedule only; the record
 * in Redis says what to start. A deleted or paused schedule starts nothing (200, `started: false`). The firing time
 * is the firing message's `createdAt` read back from QStash (`GET /v2/messages/{Upstash-Message-Id}`; when QStash no
 * longer knows the message, the cron's latest occurrence at or before now), rounded down to the minute: the same
 * for every copy and retry of the firing, so the run id ({@link scheduleIdempotencyKey}, `scheduled` key space) is
 * too, and a duplicate starts nothing new. Runs record trigger `schedule:<id>`; quotas apply as for API starts. The
 * signed token is single-use (409 `replayed-delivery` for a replayed copy).
 * Answers: 202 a new run, 200 the run this firing already started (or nothing); a quota's 429 with `Retry-After`
 * and any 5xx are retried by QStash; any other refusal (the workflow no longer resolves, a model not allowed) is
 * 489, not retried.
 */
export const scheduleFiringRoutes = new Hono<AppEnv>();

scheduleFiringRoutes.post("/", async (c) => {
  let raw: unknown;
  try {
    raw = JSON.parse(c.get("rawBody"));
  } catch {
    raw = undefined;
  }
  const msg = scheduleFiringSchema.safeParse(raw);
  if (!msg.success) return nonRetryable("schedule firing must be {tenant, scheduleId}");
  const { tenant, scheduleId } = msg.data;
  const { schedules, engine, registry, config, deliveryTokens } = c.get("services");
  const s = await schedules.store.get(tenant, scheduleId);
  const header = c.req.header("upstash-schedule-id");
  // QStash names the schedule of every firing; a request without the header is no firing (an http node's signed
  // call, say) and starts nothing
  if (!s || header !== s.qstashScheduleId) return c.json({ scheduleId, started: false, reason: "unknown-schedule" });
  if (s.paused) return c.json({ scheduleId, started: false, reason: "paused" });

  const messageId = c.req.header("upstash-message-id");
  const createdAt = messageId ? await schedules.queue.createdAt(messageId) : undefined;
  const firedAt = createdAt ?? latestFiring(s.cron, engine.now()) ?? engine.now();
  const key = scheduleIdempotencyKey(scheduleId, firedAt);
  // single use of the signed token, recorded under the run this firing starts (delivery-tokens.ts): a replayed copy
  // is refused like on every /internal route (it would only find the same run anyway)
  const token = c.get("deliveryToken");
  const bound = deliveryTokens.bind(token, await runIdFor(tenant, key, "scheduled"));
  if (!(await deliveryTokens.claim(bound)))
    return problemResponse(problem("replayed-delivery", `Upstash-Signature token ${token.jti} was already used`));
  try {
    const resolved = await resolveWorkflow(registry, tenant, s.workflow, s.version);
    const outcome = await startRun(engine, {
      tenant,
      workflow: resolved.workflow,
      dag: resolved.dag,
      workflowRef: resolved.ref,
      input: s.input,
      simulate: null,
      budget: null,
      idempotencyKey: key,
      keySpace: "scheduled",
      trigger: `schedule:${scheduleId}`,
      baseUrl: config.publicUrl ?? new URL(c.req.url).origin,
    });
    const firing = new Date(floorToMinute(firedAt)).toISOString();
    return c.json(
      { scheduleId, firing, started: outcome.created, runId: outcome.runId, status: outcome.status },
      outcome.created ? 202 : 200,
    );
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err;
    const { status, detail } = err.problem;
    // the schedule changed since this firing started its run (a retry, or a copy): that run is the firing's
    if (status === 409) return c.json({ scheduleId, started: false, reason: "already-started" });
    if (status >= 500 || status === 429) throw err;
    return nonRetryable(`schedule ${scheduleId}: ${detail}`);
  }
});
