/**
 * Planning a task: ask the planner (planner-call.ts) for a workflow name or a DAG over the candidate agents, check the
 * answer (a known workflow; only candidate agents; the DAG validated like any workflow), ask once more with the
 * errors when it is refused, and build the preview of what would run.
 */
import type { RunBudget } from "../budget/budget-spec.js";
import type { CompiledDag } from "../dag/types.js";
import type { WorkflowValidation } from "../dag/validate.js";
import type { Engine } from "../engine/engine.js";
import { ProblemError, type ProblemFieldError, problem } from "../errors/problem.js";
import { costUsd } from "../pricing/cost.js";
import type { WorkflowDefinition } from "../schema/workflow.js";
import type { WorkflowRef } from "../state/run-types.js";
import type { PlanCandidates } from "./candidates.js";
import { PLAN_TTL_SECONDS, type Plan, type PlanSource } from "./plan.js";
import type { PlanAnswer } from "./plan-answer.js";
import { previewPlan } from "./plan-preview.js";
import { callPlanner, type PlannerCall } from "./planner-call.js";
import { PLANNER_SYSTEM_PROMPT, plannerPrompt } from "./planner-prompt.js";
import { simulatedPlan } from "./simulated-planner.js";

/** What planning needs from the worker: the engine, the candidates, and how a workflow is resolved and validated. */
export interface PlanTaskDeps {
  engine: Engine;
  candidates: PlanCandidates;
  /** A candidate workflow by name, as `POST /v1/runs` resolves it. @throws ProblemError when it does not resolve. */
  resolveWorkflow(name: string): Promise<{ workflow: WorkflowDefinition; dag: CompiledDag; ref: WorkflowRef | null }>;
  /** Validates a raw definition as an inline one of `POST /v1/runs` (agents resolved from the tenant, then bundled). */
  validate(raw: unknown): Promise<WorkflowValidation>;
}

/** A planning request (the body of `POST /v1/plans`, parsed). */
export interface PlanTaskRequest {
  tenant: string;
  planId: string;
  task: string;
  input: unknown;
  budget: RunBudget | null;
}

/** Calls the planner makes at most for one plan: the first, and one retry with the errors of the first answer. */
export const PLANNER_ATTEMPTS = 2;

type Checked =
  | { ok: true; workflow: WorkflowDefinition; dag: CompiledDag; source: PlanSource }
  | { ok: false; errors: ProblemFieldError[] };

/**
 * Plans `req.task` (see the module header) and returns the plan to store.
 * @throws ProblemError 502 `planner-failed` naming the refused fields (JSON Pointers into the planner's answer, e.g.
 *   `/nodes/2/agent` for an agent that is not a candidate) when the second answer is refused too, or when a call
 *   fails; 429 `budget-exceeded` when the tenant's daily budget refuses a call.
 */
export async function planTask(deps: PlanTaskDeps, req: PlanTaskRequest): Promise<Plan> {
  const { engine, candidates } = deps;
  const inputFields =
    req.input && typeof req.input === "object" && !Array.isArray(req.input) ? Object.keys(req.input).sort() : [];
  const calls: PlannerCall[] = [];
  let errors: ProblemFieldError[] = [];
  let reason = "";
  let checked: Checked | null = null;
  for (let attempt = 1; attempt <= PLANNER_ATTEMPTS; attempt++) {
    const { answer, call } = await callPlanner(engine, {
      tenant: req.tenant,
      reservationId: `${req.planId}:${attempt}`,
      attempt,
      system: PLANNER_SYSTEM_PROMPT,
      prompt: plannerPrompt(req.task, candidates, inputFields, errors),
      simulate: () => simulatedPlan(req.task, candidates),
    });
    calls.push(call);
    const plan = answer as PlanAnswer;
    reason = plan.reason;
    checked = await checkAnswer(deps, req.planId, req.task, plan);
    if (checked.ok) break;
    errors = checked.errors;
  }
  if (!checked?.ok) {
    const first = errors[0];
    throw new ProblemError(
      problem(
        "planner-failed",
        `The planner's plan was refused twice${first ? `: ${first.pointer} ${first.detail}` : ""}`,
        { errors },
      ),
    );
  }
  const budget = req.budget ?? checked.workflow.budget ?? null;
  const preview = await previewPlan(checked.workflow, checked.dag, req.input, budget, {
    tierMap: engine.routing.tierMap,
    defaultProvider: engine.routing.defaultProvider,
    fallbacks: engine.routing.fallbacks,
    classifier: engine.routing.classifier !== undefined,
    price: (model, usage) => costUsd(model, usage, engine.prices),
  });
  const now = engine.now();
  return {
    id: req.planId,
    tenant: req.tenant,
    createdAt: now,
    expiresAt: now + PLAN_TTL_SECONDS * 1000,
    task: req.task,
    input: req.input,
    budget,
    source: checked.source,
    reason,
    workflow: checked.workflow,
    preview,
    planner: { calls, costUsd: Math.round(calls.reduce((a, c) => a + c.costUsd, 0) * 1e9) / 1e9 },
    simulated: calls.some((c) => c.simulated),
  };
}

/**
 * Checks one answer: a named workflow must be a candidate (and resolve); otherwise every node's agent must be a
 * candidate agent and the DAG must validate. Errors point into the answer (`/workflow`, `/nodes/<i>/agent`, …).
 */
async function checkAnswer(deps: PlanTaskDeps, planId: string, task: string, plan: PlanAnswer): Promise<Checked> {
  if (plan.workflow !== undefined && plan.workflow !== "") {
    if (!deps.candidates.workflows.some((w) => w.name === plan.workflow)) {
      return { ok: false, errors: [{ pointer: "/workflow", detail: `"${plan.workflow}" is not a listed workflow` }] };
    }
    try {
      const r = await deps.resolveWorkflow(plan.workflow);
      return {
        ok: true,
        workflow: r.workflow,
        dag: r.dag,
        source: { kind: "workflow", name: plan.workflow, ref: r.ref },
      };
    } catch (err) {
      const detail = err instanceof ProblemError ? err.problem.detail : String(err);
      return { ok: false, errors: [{ pointer: "/workflow", detail }] };
    }
  }
  const known = new Set(deps.candidates.agents.map((a) => a.name));
  const errors: ProblemFieldError[] = [];
  if (plan.nodes.length === 0) errors.push({ pointer: "/nodes", detail: "name a workflow or plan at least one node" });
  plan.nodes.forEach((n, i) => {
    if (!known.has(n.agent)) {
      errors.push({
        pointer: `/nodes/${i}/agent`,
        node: n.id,
        detail: `unknown agent "${n.agent}": not a listed agent`,
      });
    }
  });
  const raw = {
    name: `plan-${planId.slice("plan_".length)}`,
    description: `Planned for the task: ${task.slice(0, 3900)}`,
    nodes: plan.nodes.map((n) => ({ id: n.id, agent: n.agent, prompt: n.prompt, dependsOn: n.dependsOn })),
  };
  const v = await deps.validate(raw);
  if (!v.ok) {
    // an unknown agent is reported above already, in the planner's words
    const named = new Set(errors.map((e) => e.pointer));
    const rest = (v.problem.errors ?? [{ pointer: "", detail: v.problem.detail }]).filter((e) => !named.has(e.pointer));
    errors.push(...rest);
  }
  if (errors.length > 0 || !v.ok) return { ok: false, errors };
  const agents = [...new Set(plan.nodes.map((n) => n.agent))].sort();
  return { ok: true, workflow: v.workflow, dag: v.dag, source: { kind: "decomposed", agents } };
}
