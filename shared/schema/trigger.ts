import { z } from "zod";
import { runBudgetSchema } from "../budget/budget-spec.js";
import { PLAN_ID_RE } from "../planner/plan-id.js";
import { WORKFLOW_NAME_RE } from "./workflow.js";

/** Largest accepted `POST /v1/runs` body, in bytes (1 MiB); larger bodies get 413. */
export const MAX_TRIGGER_BYTES = 1024 * 1024;

/** Longest accepted `Idempotency-Key` header, in characters (the IETF httpapi idempotency-key draft sets no limit;
 * 255 matches common practice, e.g. Stripe's). */
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;

/**
 * Body of `POST /v1/runs`: `workflow` is a name (the tenant's registry first, then the bundled workflows) or an
 * inline definition (validated separately, pointers under `/workflow`); or `plan` is a plan id of the tenant
 * (`POST /v1/plans`, shared/planner/), whose frozen workflow runs unchanged (exactly one of the two); `version` pins a version of a named one
 * (functions/resolve-workflow.ts); `input` is any JSON value templates read as `{{input.*}}`; `simulate` sets the
 * simulated provider's default latency for this run (ms); `budget` (tokens, USD, `onBudget`) replaces the
 * workflow's run budget.
 */
export const triggerSchema = z
  .strictObject({
    workflow: z
      .union([
        z.string().regex(WORKFLOW_NAME_RE, { message: "workflow name must match /^[a-z0-9][a-z0-9-]{0,63}$/" }),
        z.record(z.string(), z.unknown()),
      ])
      .optional(),
    plan: z.string().regex(PLAN_ID_RE, { message: "plan must be a plan id (plan_ and 26 hex digits)" }).optional(),
    version: z.number().int().min(1).optional(),
    input: z.unknown().optional(),
    simulate: z.strictObject({ latencyMs: z.number().int().min(0).max(7_200_000).optional() }).optional(),
    budget: runBudgetSchema.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.workflow === undefined && body.plan === undefined) {
      ctx.addIssue({ code: "custom", path: ["workflow"], message: "workflow (or plan) is required" });
    }
    if (body.workflow !== undefined && body.plan !== undefined) {
      ctx.addIssue({ code: "custom", path: ["plan"], message: "give either workflow or plan, not both" });
    }
    if (body.plan !== undefined && body.version !== undefined) {
      ctx.addIssue({ code: "custom", path: ["version"], message: "version applies to a workflow started by name" });
    }
  });

/** A parsed trigger body. */
export type TriggerBody = z.output<typeof triggerSchema>;
