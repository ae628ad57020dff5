/**
 * zod schemas of the cache routes' query strings (trust boundary): `DELETE /v1/cache?…` and `GET /v1/cache/stats?…`.
 * Both take the object of query parameters as strings (Hono `c.req.query()`), reject unknown parameters, and
 * report each problem at the parameter it concerns (`path: ["node"]` …), for problem+json `errors`.
 */
import { z } from "zod";
import { CACHE_TAG_RE, NODE_ID_RE, WORKFLOW_NAME_RE } from "../schema/workflow.js";
import type { InvalidationSelector } from "./generations.js";

const workflowParam = z
  .string()
  .regex(WORKFLOW_NAME_RE, { message: "workflow must match /^[a-z0-9][a-z0-9-]{0,63}$/" });

/**
 * Query of `DELETE /v1/cache`: exactly one selector:
 * - `workflow=<name>`: every node of the workflow; with `node=<id>`: that node only (`node` requires `workflow`);
 * - `tag=<tag>`: every node carrying the tag;
 * - `all=true`: everything of the tenant.
 * Parses to an {@link InvalidationSelector} for `CacheStore.invalidate`.
 * Issues: a malformed value (at its parameter), `node` without `workflow` (at `node`), no selector (at the root),
 * more than one selector (at the second one), an unknown parameter.
 */
export const cacheInvalidationQuerySchema = z
  .strictObject({
    workflow: workflowParam.optional(),
    node: z.string().regex(NODE_ID_RE, { message: "node must match /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/" }).optional(),
    tag: z.string().regex(CACHE_TAG_RE, { message: "tag must match /^[A-Za-z0-9_.:-]{1,64}$/" }).optional(),
    all: z.literal("true", { error: 'all must be "true"' }).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.node !== undefined && q.workflow === undefined) {
      ctx.addIssue({ code: "custom", path: ["node"], message: "node requires workflow" });
      return;
    }
    const given = (["workflow", "tag", "all"] as const).filter((k) => q[k] !== undefined);
    if (given.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "give one selector: workflow (with node, optionally), tag, or all=true",
      });
    } else if (given.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [given[1] as string],
        message: `give only one selector, got ${given.join(" and ")}`,
      });
    }
  })
  .transform((q): InvalidationSelector => {
    if (q.all !== undefined) return { all: true };
    if (q.tag !== undefined) return { tag: q.tag };
    return q.node === undefined ? { workflow: q.workflow as string } : { workflow: q.workflow as string, node: q.node };
  });

/** Query of `GET /v1/cache/stats`: optional `workflow=<name>` to read one workflow's counters. */
export const cacheStatsQuerySchema = z.strictObject({ workflow: workflowParam.optional() });

/** A parsed `GET /v1/cache/stats` query. */
export type CacheStatsQuery = z.output<typeof cacheStatsQuerySchema>;
