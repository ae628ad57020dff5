/**
 * Input schemas of the MCP tools, taken from the zod schemas the HTTP API validates with, so a tool and its route
 * accept the same values: `start_run` is the `POST /v1/runs` body (shared/schema/trigger.ts), `plan_task` the
 * `POST /v1/plans` body (shared/schema/plan-request.ts), `retry_run`'s `from` the rerun body's. `list_runs` takes
 * the `GET /v1/runs` query parameters (shared/schema/run-list-query.ts) as JSON values; its key set is checked
 * against that schema at compile time and the values are checked by it in the route. The MCP SDK turns each into the
 * tool's JSON Schema (zod 4 `toJSONSchema`, input side).
 */
import { z } from "zod";
import { planRequestSchema } from "../../shared/schema/plan-request.js";
import { RUN_STATUSES, type runListQuerySchema } from "../../shared/schema/run-list-query.js";
import { MAX_IDEMPOTENCY_KEY_CHARS, triggerSchema } from "../../shared/schema/trigger.js";
import { rerunBodySchema } from "../run-actions.js";

/** A run id as the worker mints it (shared/engine/start-run.ts: `run_` and 26 lowercase hex digits). */
const runId = z
  .string()
  .regex(/^run_[0-9a-f]{26}$/, { message: "runId must be a run id (run_ and 26 hex digits)" })
  .describe("The run's id, as start_run or list_runs answered it (run_ and 26 hex digits)");

/** `Idempotency-Key` of a start or retry: 1..255 characters (functions/run-actions.ts `idempotencyKeyOf`). */
const idempotencyKey = z
  .string()
  .min(1)
  .max(MAX_IDEMPOTENCY_KEY_CHARS)
  .describe("Optional Idempotency-Key: the same key and request answer the earlier outcome instead of acting twice");

/** `start_run`: exactly the `POST /v1/runs` body. */
export const startRunInput = triggerSchema;

/** `plan_task`: exactly the `POST /v1/plans` body. */
export const planTaskInput = planRequestSchema;

/** `get_run`, `get_run_output`, `cancel_run`: the run's id. */
export const runIdInput = z.strictObject({ runId });

/** `retry_run`: the run, `from` (a node id: rerun from that node, as `POST /v1/runs/:id/rerun`) and a key. */
export const retryRunInput = z.strictObject({
  runId,
  from: rerunBodySchema.shape.from
    .optional()
    .describe("Rerun from this node (and what depends on it) instead of retrying the failed nodes"),
  idempotencyKey: idempotencyKey.optional(),
});

/** `list_runs`: the `GET /v1/runs` query parameters as JSON values, sent as those parameters. */
export const listRunsInput = z.strictObject({
  status: z.array(z.enum(RUN_STATUSES)).optional().describe("Only runs in these statuses"),
  workflow: z.string().optional().describe("Only runs of this workflow name"),
  trigger: z.string().optional().describe("Only runs with this trigger: api, cron:<expression>, plan:<id>, …"),
  since: z.string().optional().describe("Created at or after: ISO 8601 date-time or ms since epoch"),
  until: z.string().optional().describe("Created at or before: ISO 8601 date-time or ms since epoch"),
  limit: z.number().int().optional().describe("Page size 1..100 (default 20)"),
  cursor: z.string().optional().describe("nextCursor of the previous page"),
});

type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never] ? true : false;
// a parameter added to or removed from GET /v1/runs fails the typecheck here until list_runs follows
const listRunsKeysMatchQuery: SameKeys<z.input<typeof listRunsInput>, z.input<typeof runListQuerySchema>> = true;
void listRunsKeysMatchQuery;

/** The query string of `GET /v1/runs` for `list_runs` arguments (`status` repeated, the rest once). */
export function runListQueryString(args: z.output<typeof listRunsInput>): string {
  const q = new URLSearchParams();
  for (const s of args.status ?? []) q.append("status", s);
  for (const key of ["workflow", "trigger", "since", "until", "limit", "cursor"] as const) {
    const v = args[key];
    if (v !== undefined) q.set(key, String(v));
  }
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}
