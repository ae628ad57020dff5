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
  history: z
    .array(z.looseObject({ try: count, status: z.string(), attempts: count, error: z.string().nullable() }))
    .optional(),
  /** A map node's child: its map node and element index (shared/progress/map-view.ts). */
  map: z.looseObject({ node: z.string(), index: count }).optional(),
  wait: z
    .looseObject({
      question: z.string().nullable(),
      deadline: z.string().nullable(),
      signal: z.looseObject({ approved: z.boolean(), source: z.string(), at: z.string() }).nullable(),
      // absent in views of workers from before `wait.when`
      asked: z.boolean().nullable().default(null),
    })
    .optional(),
  /** A workflow node: the workflow it runs and its child run (shared/engine/sub-workflow-node.ts). */
  workflow: z.looseObject({ name: z.string(), runId: z.string().nullable() }).optional(),
});

/** `GET /v1/runs/:id` without the route's extras: exactly the worker's {@link RunView}. */
const runViewSchema: z.ZodType<RunView> = z.looseObject({
  runId: z.string(),
  workflow: z.string(),
  status: z.string(),
  try: count.optional(),
  rerunFrom: z.string().nullable().optional(),
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
    waiting: count.default(0),
    done: count,
    failed: count,
    skipped: count,
    cancelled: count.default(0),
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
  compensation: z
    .looseObject({
      status: z.enum(["running", "completed", "failed"]),
      runStatus: z.string(),
      reason: z.string().nullable(),
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      nodes: z.array(
        z.looseObject({
          id: z.string(),
          node: z.string(),
          status: z.string(),
          attempts: count,
          startedAt: z.string().nullable(),
          finishedAt: z.string().nullable(),
          error: z.string().nullable(),
          excerpt: z.string().nullable(),
          usage: z
            .looseObject({ inputTokens: count, outputTokens: count, cacheReadTokens: count, cacheWriteTokens: count })
            .nullable(),
          costUsd: z.number().nullable(),
          paidCalls: z.array(
            z.looseObject({
              attempt: count,
              tokens: count,
              estimated: z.boolean(),
              reconciled: z.boolean().optional(),
            }),
          ),
        }),
      ),
    })
    .nullable()
    .optional(),
  /** A child run's parent (shared/engine/sub-workflow-node.ts); null for a top-level run. */
  parent: z
    .looseObject({ runId: z.string(), nodeId: z.string(), generation: z.number(), depth: count })
    .nullable()
    .optional(),
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

/** One sweeper repair of a run (`repairs` of `GET /v1/runs/:id`): when (ISO 8601), which node, why. */
export const runRepairSchema = z.looseObject({ at: z.string(), nodeId: z.string(), reason: z.string() });

/**
 * The body of `GET /v1/runs/:id`: the run view (shared/progress/run-view.ts: todo list by level, timings in ms,
 * tokens, cost in USD, critical path), `budgetUsage` ({@link budgetUsageSchema}; null for a run without budget) and
 * the sweeper's `repairs` ({@link runRepairSchema}; absent from a worker that predates them).
 */
export const runViewBodySchema = z.intersection(
  runViewSchema,
  z.looseObject({ budgetUsage: budgetUsageSchema.nullable(), repairs: z.array(runRepairSchema).optional() }),
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

/** One run of `GET /v1/runs` (shared/state/run-index.ts `RunSummary`): times ISO 8601, cost USD, no per-node data. */
export const runSummarySchema = z.looseObject({
  runId: z.string(),
  status: z.string(),
  workflow: z.string(),
  trigger: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  totals: z.looseObject({
    nodes: count,
    done: count,
    failed: count,
    skipped: count,
    inputTokens: count,
    outputTokens: count,
    costUsd: z.number(),
  }),
});

/** A parsed {@link runSummarySchema}. */
export type RunSummaryBody = z.output<typeof runSummarySchema>;

/** The body of `GET /v1/runs`: a page of the tenant's runs, newest first; `nextCursor` null on the last page. */
export const runPageSchema = z.looseObject({ runs: z.array(runSummarySchema), nextCursor: z.string().nullable() });

/** A parsed {@link runPageSchema}. */
export type RunPageBody = z.output<typeof runPageSchema>;

/** Filters of `GET /v1/runs` (functions/runs.ts): times as ISO 8601 or ms since epoch, `limit` 1..100. */
export interface RunListFilters {
  status?: readonly string[] | undefined;
  workflow?: string | undefined;
  trigger?: string | undefined;
  since?: string | number | undefined;
  until?: string | number | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/**
 * The body of `POST /v1/runs/:id/cancel`: the run is `cancelled` now; `alreadyCancelled` when an earlier cancel
 * did it, else how many nodes and queued messages this one cancelled.
 */
export const runCancelledSchema = z.looseObject({
  runId: z.string(),
  status: z.string(),
  alreadyCancelled: z.boolean(),
  nodesCancelled: count.optional(),
  messagesCancelled: count.optional(),
});

/** A parsed {@link runCancelledSchema}. */
export type RunCancelled = z.output<typeof runCancelledSchema>;

/**
 * The body of `202` to `POST /v1/runs/:id/retry` and `/rerun`: the same run runs again as try `try`, `reset` the
 * nodes set back to pending, `from` the node a rerun started at.
 */
export const runRestartedSchema = z.looseObject({
  runId: z.string(),
  status: z.string(),
  try: count,
  reset: z.unknown().optional(),
  from: z.string().optional(),
});

/** A parsed {@link runRestartedSchema}. */
export type RunRestarted = z.output<typeof runRestartedSchema>;

/**
 * The body of `200` to `POST /v1/runs/:id/nodes/:node/signal` (functions/signal.ts): the wait node's outcome
 * (`approved`, its status `done` or `failed`, what decided it and when, ms since epoch), `replayed` when an earlier
 * identical signal (or the same Idempotency-Key) decided it.
 */
export const runSignalledSchema = z.looseObject({
  runId: z.string(),
  nodeId: z.string(),
  approved: z.boolean(),
  status: z.string(),
  source: z.string(),
  signalledAt: z.number(),
  replayed: z.boolean(),
});

/** A parsed {@link runSignalledSchema}. */
export type RunSignalled = z.output<typeof runSignalledSchema>;

/**
 * The body of `GET /v1/runs/:id/graph` (functions/run-graph.ts): the run's DAG, nodes in topological order with
 * their agent, 1-based level and dependencies. It never changes for a run.
 */
export const runGraphSchema = z.looseObject({
  runId: z.string(),
  workflow: z.string(),
  nodes: z.array(z.looseObject({ id: z.string(), agent: z.string(), level: count, dependsOn: z.array(z.string()) })),
  edgeCount: count,
});

/** A parsed {@link runGraphSchema}. */
export type RunGraph = z.output<typeof runGraphSchema>;

/**
 * Whether a run status is terminal (nothing about the run changes any more unless it is retried or rerun):
 * `completed`, `failed`, or `cancelled` (`POST /v1/runs/:id/cancel`). Any other string, including a status a newer
 * worker adds, counts as still going, so a follower keeps polling rather than stopping early.
 */
export function isTerminalStatus(status: string): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}
