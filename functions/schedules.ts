import { type Context, Hono } from "hono";
import { dispatchUnavailable, invalidRequest, notFound, ProblemError, problem } from "../shared/errors/problem.js";
import { cronProblem } from "../shared/schedules/schedule-cron.js";
import { qstashScheduleId } from "../shared/schedules/schedule-queue.js";
import {
  MAX_SCHEDULE_BYTES,
  SCHEDULE_ID_RE,
  type ScheduleSpec,
  scheduleSpecSchema,
} from "../shared/schedules/schedule-spec.js";
import { MAX_SCHEDULES_PER_TENANT, type StoredSchedule } from "../shared/schedules/schedule-store.js";
import type { AppEnv } from "./app-env.js";
import { jsonBodyLimit, parseJsonBody } from "./json-body.js";
import { apiKeyAuth } from "./middleware/api-key.js";
import { refuseUnsafeDeployment } from "./middleware/deployment-guard.js";
import { resolveWorkflow } from "./resolve-workflow.js";

/** Path of the route QStash calls on each firing (functions/schedule-firing.ts), under the worker's public origin. */
export const SCHEDULE_FIRING_PATH = "/internal/schedule";

/**
 * `/v1/schedules`: cron schedules that start runs, fired by QStash Schedules (no redeploy). With the API key:
 * `PUT /:id` creates or replaces the tenant's schedule `id` (201 / 200), `GET /` lists them, `GET /:id` reads one,
 * `POST /:id/pause` and `/:id/resume`, `DELETE /:id` (204). Another tenant's schedule is a 404. The record lives in
 * Redis (shared/schedules/schedule-store.ts); QStash holds a schedule of the same cron that calls
 * {@link SCHEDULE_FIRING_PATH} with `{tenant, scheduleId}` only.
 */
export const scheduleRoutes = new Hono<AppEnv>();

scheduleRoutes.use("*", apiKeyAuth());
// a schedule starts work: refused on an unsafe production deploy, like POST /v1/runs
scheduleRoutes.on(["PUT", "POST"], ["/:id", "/:id/resume"], refuseUnsafeDeployment());

/** The schedule as reads show it. */
function view(s: StoredSchedule): Record<string, unknown> {
  const { qstashScheduleId: _q, createdAt, updatedAt, version, ...rest } = s;
  return {
    ...rest,
    version: version ?? null,
    timezone: "UTC",
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
    links: { self: `/v1/schedules/${s.id}`, runs: `/v1/runs?trigger=${encodeURIComponent(`schedule:${s.id}`)}` },
  };
}

/** The id in the URL, or 404 when it cannot name a schedule. */
function scheduleIdOf(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!SCHEDULE_ID_RE.test(id)) throw new ProblemError(notFound(`No schedule ${id}`));
  return id;
}

/** The tenant's schedule `id`, or 404 (the same for another tenant's and for none). */
async function ownedSchedule(c: Context<AppEnv>): Promise<StoredSchedule> {
  const id = scheduleIdOf(c);
  const found = await c.get("services").schedules.store.get(c.get("tenant"), id);
  if (!found) throw new ProblemError(notFound(`No schedule ${id}`));
  return found;
}

/** Runs a QStash call; its failure is a 503 `dispatch-unavailable` (nothing changed in Redis yet). */
async function atQStash<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new ProblemError(
      dispatchUnavailable(`QStash did not accept the schedule ${what}: ${(err as Error).message}`),
      {
        cause: err,
      },
    );
  }
}

/** The parsed body: cron (422 naming `/cron`), fields (422), and a workflow that resolves for the tenant now. */
async function readSpec(c: Context<AppEnv>): Promise<ScheduleSpec> {
  const spec = parseJsonBody(await c.req.text(), scheduleSpecSchema, { title: "The schedule is invalid" });
  const cron = cronProblem(spec.cron);
  if (cron) {
    throw new ProblemError(
      invalidRequest(`cron "${spec.cron}" is not a 5-field UTC cron: ${cron}`, {
        errors: [{ pointer: "/cron", detail: cron }],
      }),
    );
  }
  // 422 invalid-workflow naming /workflow (or /version) when it does not resolve
  await resolveWorkflow(c.get("services").registry, c.get("tenant"), spec.workflow, spec.version);
  return { ...spec, cron: spec.cron.trim().split(/\s+/).join(" ") };
}

scheduleRoutes.put("/:id", jsonBodyLimit(MAX_SCHEDULE_BYTES), async (c) => {
  const id = scheduleIdOf(c);
  const spec = await readSpec(c);
  const { schedules, engine, config } = c.get("services");
  const tenant = c.get("tenant");
  const existing = await schedules.store.get(tenant, id);
  if (!existing && (await schedules.store.full(tenant))) {
    throw new ProblemError(
      problem(
        "registry-full",
        `The tenant has ${MAX_SCHEDULES_PER_TENANT} schedules, the most allowed: delete one first`,
      ),
    );
  }
  const now = engine.now();
  const stored: StoredSchedule = {
    id,
    cron: spec.cron,
    workflow: spec.workflow,
    ...(spec.version !== undefined ? { version: spec.version } : {}),
    input: spec.input ?? {},
    paused: spec.paused ?? false,
    qstashScheduleId: await qstashScheduleId(config.keyPrefix, tenant, id),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  // QStash first: if it refuses, nothing is stored; a firing before the record exists finds none and starts nothing
  const origin = config.publicUrl ?? new URL(c.req.url).origin;
  await atQStash("create", () =>
    schedules.queue.upsert({
      scheduleId: stored.qstashScheduleId,
      cron: stored.cron,
      destination: `${origin}${SCHEDULE_FIRING_PATH}`,
      body: JSON.stringify({ tenant, scheduleId: id }),
      paused: stored.paused,
    }),
  );
  await schedules.store.save(tenant, stored);
  return c.json(view(stored), existing ? 200 : 201, { Location: `/v1/schedules/${id}` });
});

scheduleRoutes.get("/", async (c) => {
  const list = await c.get("services").schedules.store.list(c.get("tenant"));
  return c.json({ schedules: list.map(view) });
});

scheduleRoutes.get("/:id", async (c) => c.json(view(await ownedSchedule(c))));

for (const action of ["pause", "resume"] as const) {
  scheduleRoutes.post(`/:id/${action}`, async (c) => {
    const s = await ownedSchedule(c);
    const { schedules, engine } = c.get("services");
    const paused = action === "pause";
    const updated: StoredSchedule = { ...s, paused, updatedAt: engine.now() };
    // the record decides what a firing does: a pause holds there first, a resume only once QStash fires again
    if (paused) await schedules.store.save(c.get("tenant"), updated);
    await atQStash(action, () => schedules.queue.setPaused(s.qstashScheduleId, paused));
    if (!paused) await schedules.store.save(c.get("tenant"), updated);
    return c.json(view(updated));
  });
}

scheduleRoutes.delete("/:id", async (c) => {
  const s = await ownedSchedule(c);
  const { schedules } = c.get("services");
  // the record first: a firing that QStash has already made finds no record and starts nothing
  await schedules.store.delete(c.get("tenant"), s.id);
  await atQStash("delete", () => schedules.queue.delete(s.qstashScheduleId));
  return c.body(null, 204);
});
