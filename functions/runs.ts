import { Hono } from "hono";
import { runScope } from "../shared/budget/scopes.js";
import type { CompiledDag } from "../shared/dag/types.js";
import { validateWorkflow } from "../shared/dag/validate.js";
import { loadRun } from "../shared/engine/run-cache.js";
import { startRun } from "../shared/engine/start-run.js";
import { invalidRequest, notFound, ProblemError } from "../shared/errors/problem.js";
import { zodIssuesToFieldErrors } from "../shared/errors/zod-issues.js";
import { buildRunView } from "../shared/progress/run-view.js";
import { runListQuerySchema } from "../shared/schema/run-list-query.js";
import { MAX_TRIGGER_BYTES, triggerSchema } from "../shared/schema/trigger.js";
import { NODE_LIMIT_CEILING, type WorkflowDefinition } from "../shared/schema/workflow.js";
import type { WorkflowRef } from "../shared/state/run-types.js";
import { withBundledAgents } from "./agent-registry.js";
import type { AppEnv } from "./app-env.js";
import { httpValidation } from "./http-node-config.js";
import { jsonBodyLimit, parseJsonBody } from "./json-body.js";
import { apiKeyAuth } from "./middleware/api-key.js";
import { refuseUnsafeDeployment } from "./middleware/deployment-guard.js";
import { resolveWorkflow, tenantAgentsFor } from "./resolve-workflow.js";
import { idempotencyKeyOf, runActionRoutes } from "./run-actions.js";
import { runEventRoutes } from "./run-events.js";
import { runGraphRoutes } from "./run-graph.js";
import { runStartedResponse } from "./run-started.js";
import { signalRoutes } from "./signal.js";
import { assertSubWorkflows } from "./sub-workflows.js";

/**
 * `/v1/runs`: start a run (`POST`), list the tenant's runs (`GET /`, newest first, filtered, cursor-paginated),
 * read a run's todo-list progress (`GET /:id`) and its final outputs (`GET /:id/output`). Every route needs a Bearer API key; a tenant sees only its own runs.
 */
export const runsRoutes = new Hono<AppEnv>();

runsRoutes.use("*", apiKeyAuth());
// what starts work (a run, a retry, a rerun) is refused on an unsafe production deploy (functions/deployment-safety.ts)
runsRoutes.on("POST", ["/", "/:id/retry", "/:id/rerun"], refuseUnsafeDeployment());
// cancel, retry, rerun (functions/run-actions.ts), behind the same API-key check
runsRoutes.route("/", runActionRoutes);
// the run's DAG for the dashboard (functions/run-graph.ts)
runsRoutes.route("/", runGraphRoutes);
// the run's event log as server-sent events (functions/run-events.ts)
runsRoutes.route("/", runEventRoutes);
// a wait node's signal (functions/signal.ts)
runsRoutes.route("/", signalRoutes);

runsRoutes.post("/", jsonBodyLimit(MAX_TRIGGER_BYTES), async (c) => {
  const { config, engine, registry, plans } = c.get("services");
  const request = parseJsonBody(await c.req.text(), triggerSchema);
  const idempotencyKey = idempotencyKeyOf(c.req.header("idempotency-key"));
  const tenant = c.get("tenant");
  let resolved: { workflow: WorkflowDefinition; dag: CompiledDag; ref?: WorkflowRef | undefined };
  let input: unknown = request.input ?? {};
  let budget = request.budget ?? null;
  let trigger = "api";
  if (request.plan !== undefined) {
    // a plan of the tenant (POST /v1/plans) runs its frozen workflow unchanged, with its input and budget unless
    // the request gives its own
    const plan = await plans.get(tenant, request.plan);
    if (!plan) {
      throw new ProblemError(
        notFound(`No plan ${request.plan} (plans expire after 24 h)`, {
          errors: [{ pointer: "/plan", detail: "unknown, expired or another tenant's plan" }],
        }),
      );
    }
    // validated when planned; a lowered node limit does not strand a stored plan
    const v = validateWorkflow(plan.workflow, "", { maxNodes: NODE_LIMIT_CEILING });
    if (!v.ok) throw new ProblemError(v.problem);
    resolved = {
      workflow: v.workflow,
      dag: v.dag,
      ref: plan.source.kind === "workflow" ? (plan.source.ref ?? undefined) : undefined,
    };
    input = request.input ?? plan.input;
    budget = request.budget ?? plan.budget;
    trigger = `plan:${plan.id}`;
  } else if (typeof request.workflow === "string") {
    resolved = await resolveWorkflow(registry, tenant, request.workflow, request.version);
  } else if (request.workflow !== undefined) {
    if (request.version !== undefined) {
      throw new ProblemError(
        invalidRequest("version applies to a workflow started by name", {
          errors: [{ pointer: "/version", detail: "an inline definition has no versions" }],
        }),
      );
    }
    const agents = await tenantAgentsFor(registry, tenant, request.workflow);
    const v = validateWorkflow(withBundledAgents(request.workflow, agents), "/workflow", {
      maxNodes: config.maxNodes,
      // http nodes: a literal URL the SSRF guard refuses, or an unlisted secret, is a 422 with nothing stored
      http: httpValidation(config.environment, config.httpNodes),
    });
    if (!v.ok) throw new ProblemError(v.problem);
    // workflow nodes name workflows that exist and lead to no cycle: a 422 with nothing stored otherwise
    await assertSubWorkflows(registry, tenant, v.workflow, "/workflow");
    resolved = v;
  } else {
    // the trigger schema requires one of workflow and plan
    throw new ProblemError(invalidRequest("workflow (or plan) is required"));
  }
  const outcome = await startRun(engine, {
    tenant,
    workflow: resolved.workflow,
    dag: resolved.dag,
    workflowRef: resolved.ref,
    input,
    simulate: request.simulate ?? null,
    budget,
    idempotencyKey,
    trigger,
    // the request's origin only outside production: production without PUBLIC_URL was refused above
    baseUrl: config.publicUrl ?? new URL(c.req.url).origin,
  });
  return runStartedResponse(c, outcome);
});

runsRoutes.get("/", async (c) => {
  const { engine } = c.get("services");
  const parsed = runListQuerySchema.safeParse(c.req.queries());
  if (!parsed.success) {
    throw new ProblemError(invalidRequest("Invalid query", { errors: zodIssuesToFieldErrors(parsed.error) }));
  }
  return c.json(await engine.runs.list(c.get("tenant"), parsed.data));
});

async function ownedSnapshot(c: { get: (k: "services" | "tenant") => unknown }, runId: string) {
  const { engine } = c.get("services") as AppEnv["Variables"]["services"];
  const snapshot = /^run_[0-9a-f]{26}$/.test(runId) ? await engine.store.readSnapshot(runId) : null;
  if (!snapshot || snapshot.frozen.tenant !== c.get("tenant")) {
    throw new ProblemError(
      notFound(`No run ${runId} (runs expire after their retention)`, { instance: `/v1/runs/${runId}` }),
    );
  }
  return snapshot;
}

runsRoutes.get("/:id", async (c) => {
  const { engine } = c.get("services");
  const snapshot = await ownedSnapshot(c, c.req.param("id"));
  const run = await loadRun(engine.store, snapshot.frozen.runId, snapshot.frozen);
  if (!run) throw new ProblemError(notFound(`No run ${c.req.param("id")}`));
  const view = buildRunView(snapshot, run.dag, engine.now());
  const [budgetUsage, repairs] = await Promise.all([
    snapshot.frozen.budget ? engine.budgets.store.usage(runScope(snapshot.frozen.runId)) : null,
    engine.sweeps.repairs(snapshot.frozen.runId),
  ]);
  // which registry entry a run started by name executes (null: an inline definition)
  return c.json({ ...view, workflowVersion: snapshot.frozen.workflowRef ?? null, budgetUsage, repairs });
});

runsRoutes.get("/:id/output", async (c) => {
  const { engine } = c.get("services");
  const snapshot = await ownedSnapshot(c, c.req.param("id"));
  const run = await loadRun(engine.store, snapshot.frozen.runId, snapshot.frozen);
  const sinks = (run?.dag.sinks ?? []).filter((id) => snapshot.output[id]);
  const texts = await engine.blobs.getMany(sinks.map((id) => snapshot.output[id] as string));
  const outputs = Object.fromEntries(sinks.map((id, i) => [id, texts[i] ?? null]));
  return c.json({ runId: snapshot.frozen.runId, status: snapshot.meta.status, outputs });
});
