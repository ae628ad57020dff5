/**
 * The run API's answers as a client receives them: zod schemas for the bodies of `POST /v1/runs`,
 * `GET /v1/runs/:id` and `GET /v1/runs/:id/output` (functions/runs.ts), each typed against the shape the worker
 * builds (the run view is owned by shared/progress/run-view.ts), so a drift between worker and client fails the
 * typecheck. Objects are loose: a member the worker adds later passes through instead of failing validation.
 */
import { z } from "zod";
import type { RunView } from "../progress/run-view.js";
import type { triggerSchema } from "../schema/trigger.js";
import { NODE_STATUSES } from "../state/run-types.js";

/** The body of `POST /v1/runs` as a caller writes it (validated by the worker: shared/schema/trigger.ts). */
export type RunRequest = z.input<typeof triggerSchema>;

/** The run's links: its view and its output, as paths on the worker's origin. */
const linksSchema = z.looseObject({ self: z.string(), output: z.string() });

/**
 * The body of `202 Accepted` (a new run) or `200 OK` (an idempotent replay: the run an earlier request with the
 * same `Idempotency-Key` started) to `POST /v1/runs`; `created` tells the two apart.
 */
export const runAcceptedSchema = z.looseObject({
  runId: z.string(),
  status: z.string(),
  created: z.boolean(),
  links: linksSchema,
});

/** A parsed {@link runAcceptedSchema}: run id, run status, whether this request created it, links. */
export type RunAccepted = z.output<typeof runAcceptedSchema>;

const count = z.number();

const nodeViewSchema = z.looseObject({
  id: z.string(),
  agent: z.string(),
  status: z.enum(NODE_STATUSES),
  attempts: count,
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  usage: z
    .looseObject({ inputTokens: count, outputTokens: count, cacheReadTokens: count, cacheWriteTokens: count })
    .nullable(),
  costUsd: z.number().nullable(),
  model: z.string().nullable(),
  route: z
    .looseObject({
      provider: z.string(),
      tier: z.string().nullable(),
      source: z.string(),
      reason: z.string(),
      summary: z.string(),
    })
    .nullable(),
  cache: z.enum(["hit", "shared", "miss"]).nullable(),
  excerpt: z.string().nullable(),
  error: z.string().nullable(),
});

/** `GET /v1/runs/:id` without the route's extras: exactly the worker's {@link RunView}. */
const runViewSchema: z.ZodType<RunView> = z.looseObject({
  runId: z.string(),
  workflow: z.string(),
  status: z.string(),
  trigger: z.string(),
  createdAt: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  makespanMs: z.number(),
  totals: z.looseObject({
    pending: count,
    queued: count,
    running: count,
    retrying: count,
    done: count,
    failed: count,
    skipped: count,
    nodes: count,
    inputTokens: count,
    outputTokens: count,
    cacheReadTokens: count,
    cacheWriteTokens: count,
    costUsd: z.number(),
    attempts: count,
  }),
  cache: z.looseObject({
    hits: count,
    shared: count,
    misses: count,
    hitRate: z.number().nullable(),
    savedTokens: count,
    savedUsd: z.number(),
  }),
  budget: z.looseObject({ tokens: z.number().optional(), usd: z.number().optional(), onBudget: z.string() }).nullable(),
  criticalPath: z.looseObject({ nodes: z.array(z.string()), durationMs: z.number() }),
  makespanOverCriticalPath: z.number().nullable(),
  simulated: z.boolean(),
  levels: z.array(z.looseObject({ level: z.number(), title: z.string(), nodes: z.array(nodeViewSchema) })),
  links: linksSchema,
});

/**
 * The run budget's use so far (shared/budget/budget-store.ts `usage`): tokens and USD used and reserved, the limits
 * when set, and the USD figures also as integer micro-USD.
 */
export const budgetUsageSchema = z.looseObject({
  usedTokens: count,
  usedUsd: z.number(),
  reservedTokens: count,
  reservedUsd: z.number(),
  usedMicroUsd: count,
  reservedMicroUsd: count,
  limitTokens: count.optional(),
  limitUsd: z.number().optional(),
  limitMicroUsd: count.optional(),
});

/**
 * The body of `GET /v1/runs/:id`: the run view (shared/progress/run-view.ts: todo list by level, timings in ms,
 * tokens, cost in USD, critical path) and `budgetUsage` ({@link budgetUsageSchema}; null for a run without budget).
 */
export const runViewBodySchema = z.intersection(
  runViewSchema,
  z.looseObject({ budgetUsage: budgetUsageSchema.nullable() }),
);

/** A parsed {@link runViewBodySchema}. */
export type RunViewBody = z.output<typeof runViewBodySchema>;

/** The body of `GET /v1/runs/:id/output`: sink node id -> its full output text (null when unreadable). */
export const runOutputSchema = z.looseObject({
  runId: z.string(),
  status: z.string(),
  outputs: z.record(z.string(), z.string().nullable()),
});

/** A parsed {@link runOutputSchema}. */
export type RunOutput = z.output<typeof runOutputSchema>;

/**
 * Whether a run status is terminal (nothing about the run changes any more): `completed`, `failed`, or `cancelled`
 * (reserved for a cancel endpoint). Any other string, including a status a newer worker adds, counts as still
 * going, so a follower keeps polling rather than stopping early.
 */
export function isTerminalStatus(status: string): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}
