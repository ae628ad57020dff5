/**
 * A stored plan (`plan_<26 hex>`): the task, the workflow the planner chose or built (frozen: a run of the plan
 * starts exactly it), its preview, and the planner's calls with their cost. Kept per tenant for PLAN_TTL_SECONDS.
 */
import type { RunBudget } from "../budget/budget-spec.js";
import type { WorkflowDefinition } from "../schema/workflow.js";
import type { WorkflowRef } from "../state/run-types.js";
import type { PlanPreview } from "./plan-preview.js";
import type { PlannerCall } from "./planner-call.js";

/** How long a plan can be run after it was made, seconds (24 h; ours). */
export const PLAN_TTL_SECONDS = 24 * 3600;

export { PLAN_ID_RE } from "./plan-id.js";

/** A new random plan id (`plan_` + 26 hex from `crypto.randomUUID`). */
export function newPlanId(): string {
  return `plan_${crypto.randomUUID().replaceAll("-", "").slice(0, 26)}`;
}

/** Where the plan's workflow comes from: a registered or bundled workflow proposed as is, or a planned DAG. */
export type PlanSource =
  | { kind: "workflow"; name: string; ref: WorkflowRef | null }
  | { kind: "decomposed"; agents: string[] };

/** A plan as stored and answered. */
export interface Plan {
  id: string;
  tenant: string;
  /** ms since epoch. */
  createdAt: number;
  expiresAt: number;
  task: string;
  /** The run input the preview was computed for (a run of the plan uses it unless it gives its own). */
  input: unknown;
  /** The run budget the preview compares with (the request's, else the workflow's), or null. */
  budget: RunBudget | null;
  source: PlanSource;
  /** The planner's reason (a simulated one says so). */
  reason: string;
  workflow: WorkflowDefinition;
  preview: PlanPreview;
  /** Every planner call made (two when the first answer was refused), and their cost in USD. */
  planner: { calls: PlannerCall[]; costUsd: number };
  /** True when the plan was made by the simulated planner (no model was called). */
  simulated: boolean;
}
