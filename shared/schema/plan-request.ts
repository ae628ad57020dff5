import { z } from "zod";
import { runBudgetSchema } from "../budget/budget-spec.js";

/** Longest task accepted by `POST /v1/plans`, characters (ours: a task is a sentence or a paragraph). */
export const MAX_TASK_CHARS = 4000;

/**
 * Body of `POST /v1/plans`: `task` (1..4,000 characters once trimmed: what to do, in words), `input` (any JSON value:
 * the run input the plan's prompts read as `{{input.*}}`, and the preview measures) and `budget` (a run budget:
 * tokens, USD, `onBudget`, which the preview's worst case is compared with and the run uses).
 */
export const planRequestSchema = z.strictObject({
  task: z.string().trim().min(1, { message: "task must not be empty" }).max(MAX_TASK_CHARS),
  input: z.unknown().optional(),
  budget: runBudgetSchema.optional(),
});

/** A parsed plan request. */
export type PlanRequest = z.output<typeof planRequestSchema>;
