/**
 * zod schema of the `GET /v1/runs` query string (trust boundary). It takes every parameter as the list of its values
 * (Hono `c.req.queries()`), rejects unknown parameters, and reports each problem at the parameter it concerns
 * (`path: ["limit"]` …), for problem+json `errors`.
 */
import { z } from "zod";
import { decodeCursor, type RunListQuery } from "../state/run-index.js";
import { WORKFLOW_NAME_RE } from "./workflow.js";

/** Run statuses a listing may filter on (also the `status` values of the MCP tool `list_runs`, functions/mcp/). */
export const RUN_STATUSES = ["running", "completed", "failed", "cancelled"] as const;

/** A time bound: ISO 8601 date-time, or ms since epoch; parses to ms. */
const instant = z.string().transform((s, ctx) => {
  const ms = /^\d{1,16}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: "must be an ISO 8601 date-time or ms since epoch" });
    return z.NEVER;
  }
  return ms;
});

/** One value of a single-valued parameter: given more than once is an error. */
function single<O>(schema: z.ZodType<O, string>) {
  return z
    .array(z.string())
    .max(1, { message: "give this parameter once" })
    .transform((v) => v[0] as string)
    .pipe(schema)
    .optional();
}

/**
 * Query of `GET /v1/runs`: `status` (repeatable, or comma-separated: running, completed, failed, cancelled), `workflow`,
 * `trigger` (`api` or `cron:<expression>`), `since` / `until` (creation time, inclusive), `limit` (1..100, default
 * 20), `cursor` (the previous page's `nextCursor`). Parses to a {@link RunListQuery}.
 */
export const runListQuerySchema = z
  .strictObject({
    status: z
      .array(z.string())
      .transform((v) => v.flatMap((s) => s.split(",")).filter((s) => s !== ""))
      .pipe(z.array(z.enum(RUN_STATUSES, { error: "status must be running, completed, failed or cancelled" })))
      .optional(),
    workflow: single(
      z.string().regex(WORKFLOW_NAME_RE, { message: "workflow must match /^[a-z0-9][a-z0-9-]{0,63}$/" }),
    ),
    trigger: single(z.string().min(1).max(200)),
    since: single(instant),
    until: single(instant),
    limit: single(
      z
        .string()
        .regex(/^\d{1,3}$/, { message: "limit must be an integer 1..100" })
        .transform(Number)
        .pipe(
          z
            .number()
            .min(1, { message: "limit must be an integer 1..100" })
            .max(100, { message: "limit must be an integer 1..100" }),
        ),
    ),
    cursor: single(
      z.string().transform((s, ctx) => {
        const c = decodeCursor(s);
        if (!c) {
          ctx.addIssue({ code: "custom", message: "cursor is not a nextCursor this API returned" });
          return z.NEVER;
        }
        return c;
      }),
    ),
  })
  .transform(
    (q): RunListQuery => ({
      status: q.status,
      workflow: q.workflow,
      trigger: q.trigger,
      since: q.since,
      until: q.until,
      limit: q.limit ?? 20,
      cursor: q.cursor,
    }),
  );
