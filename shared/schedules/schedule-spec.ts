/**
 * zod schema of a schedule (`PUT /v1/schedules/:id`): which workflow runs, with which input, on which cron, and
 * whether it is paused. The cron's own rules (5 fields, UTC) are checked by schedule-cron.ts.
 */
import { z } from "zod";
import { WORKFLOW_NAME_RE } from "../schema/workflow.js";

/** A schedule id, chosen by the tenant in the URL: like a workflow name (lower-case letters, digits, `-`, ≤ 64). */
export const SCHEDULE_ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Largest `PUT /v1/schedules/:id` body, bytes (64 KiB, ours: the input is stored with the schedule). */
export const MAX_SCHEDULE_BYTES = 64 * 1024;

/**
 * A schedule: `cron` (5 fields, UTC), `workflow` (a name in the tenant's registry or bundled) and optional pinned
 * `version`, `input` (any JSON value, default `{}`), `paused` (default false).
 */
export const scheduleSpecSchema = z.strictObject({
  cron: z.string().min(1).max(128),
  workflow: z.string().regex(WORKFLOW_NAME_RE, { message: "workflow name must match /^[a-z0-9][a-z0-9-]{0,63}$/" }),
  version: z.number().int().min(1).optional(),
  input: z.unknown().optional(),
  paused: z.boolean().optional(),
});

/** A parsed schedule body. */
export type ScheduleSpec = z.output<typeof scheduleSpecSchema>;

/** Body of a schedule's QStash firing (`POST /internal/schedule`): whose schedule, never its definition. */
export const scheduleFiringSchema = z.strictObject({
  tenant: z.string().min(1).max(256),
  scheduleId: z.string().regex(SCHEDULE_ID_RE),
});

/** A parsed firing body. */
export type ScheduleFiring = z.output<typeof scheduleFiringSchema>;
