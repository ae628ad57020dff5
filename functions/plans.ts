import { type Context, Hono } from "hono";
import { validateWorkflow } from "../shared/dag/validate.js";
import { notFound, ProblemError } from "../shared/errors/problem.js";
import {
  type CandidateAgent,
  type CandidateWorkflow,
  mergeCandidates,
  type PlanCandidates,
} from "../shared/planner/candidates.js";
import { newPlanId, type Plan } from "../shared/planner/plan.js";
import { planTask } from "../shared/planner/plan-task.js";
import { planRequestSchema } from "../shared/schema/plan-request.js";
import { MAX_TRIGGER_BYTES } from "../shared/schema/trigger.js";
import { bundledAgentCards, withBundledAgents } from "./agent-registry.js";
import type { AppEnv } from "./app-env.js";
import { httpValidation } from "./http-node-config.js";
import { jsonBodyLimit, parseJsonBody } from "./json-body.js";
import { apiKeyAuth } from "./middleware/api-key.js";
import { resolveWorkflow, tenantAgentsFor } from "./resolve-workflow.js";
import { BUNDLED_WORKFLOWS, bundledWorkflow } from "./workflow-registry.js";

/**
 * `/v1/plans` (docs/planner.md): `POST /` plans a task (`{ task, input?, budget? }`) over the tenant's registered and
 * the bundled workflows and agents and answers the stored plan with its preview (201); `GET /:id` reads a plan of the
 * tenant (404 for an unknown, expired or another tenant's id). `POST /v1/runs { plan }` runs one (functions/runs.ts).
 */
export const planRoutes = new Hono<AppEnv>();

planRoutes.use("*", apiKeyAuth());

const asString = (v: unknown): string => (typeof v === "string" ? v : "");

/** The tenant's agents and workflows plus the bundled ones it does not override, with what the planner reads. */
async function candidatesFor(c: Context<AppEnv>): Promise<PlanCandidates> {
  const { registry } = c.get("services");
  const tenant = c.get("tenant");
  const [agents, workflows] = await Promise.all([registry.list("agent", tenant), registry.list("workflow", tenant)]);
  const tenantAgents: CandidateAgent[] = agents.map((a) => ({
    name: a.name,
    description: asString(a.summary.description),
    capabilities: Array.isArray(a.summary.capabilities) ? a.summary.capabilities.map(asString) : [],
    source: "tenant",
  }));
  const bundledAgents: CandidateAgent[] = [...bundledAgentCards()].map(([name, card]) => ({
    name,
    description: card.description ?? "",
    capabilities: card.capabilities,
    source: "bundled",
  }));
  const tenantWorkflows: CandidateWorkflow[] = workflows.map((w) => ({
    name: w.name,
    description: asString(w.summary.description),
    source: "tenant",
  }));
  const bundledWorkflows: CandidateWorkflow[] = BUNDLED_WORKFLOWS.flatMap((raw) => {
    const b = bundledWorkflow((raw as { name: string }).name);
    return b ? [{ name: b.workflow.name, description: b.workflow.description ?? "", source: "bundled" as const }] : [];
  });
  return {
    agents: mergeCandidates(tenantAgents, bundledAgents),
    workflows: mergeCandidates(tenantWorkflows, bundledWorkflows),
  };
}

/** A plan as answered: everything stored but the tenant, with links. */
function planBody(plan: Plan): Record<string, unknown> {
  const { tenant: _tenant, createdAt, expiresAt, ...rest } = plan;
  return {
    ...rest,
    createdAt: new Date(createdAt).toISOString(),
    expiresAt: new Date(expiresAt).toISOString(),
    links: { self: `/v1/plans/${plan.id}`, run: "/v1/runs" },
  };
}

planRoutes.post("/", jsonBodyLimit(MAX_TRIGGER_BYTES), async (c) => {
  const { config, engine, registry, plans } = c.get("services");
  const request = parseJsonBody(await c.req.text(), planRequestSchema);
  const tenant = c.get("tenant");
  const plan = await planTask(
    {
      engine,
      candidates: await candidatesFor(c),
      async resolveWorkflow(name) {
        const r = await resolveWorkflow(registry, tenant, name, undefined);
        return { workflow: r.workflow, dag: r.dag, ref: r.ref };
      },
      async validate(def) {
        const agents = await tenantAgentsFor(registry, tenant, def);
        return validateWorkflow(withBundledAgents(def, agents), "", {
          maxNodes: config.maxNodes,
          http: httpValidation(config.environment, config.httpNodes),
        });
      },
    },
    {
      tenant,
      planId: newPlanId(),
      task: request.task,
      input: request.input ?? {},
      budget: request.budget ?? null,
    },
  );
  await plans.put(plan);
  const self = `/v1/plans/${plan.id}`;
  return c.json(planBody(plan), 201, { Location: self });
});

planRoutes.get("/:id", async (c) => {
  const { plans } = c.get("services");
  const id = c.req.param("id");
  const plan = await plans.get(c.get("tenant"), id);
  if (!plan) throw new ProblemError(notFound(`No plan ${id} (plans expire after 24 h)`, { instance: c.req.path }));
  return c.json(planBody(plan));
});
