import { validateWorkflow } from "../shared/dag/validate.js";
import { invalidWorkflow, ProblemError } from "../shared/errors/problem.js";
import { MAX_REGISTERED_WORKFLOW_BYTES } from "../shared/registry/registry-limits.js";
import { WORKFLOW_NAME_RE, type WorkflowDefinition } from "../shared/schema/workflow.js";
import { withBundledAgents } from "./agent-registry.js";
import { httpValidation } from "./http-node-config.js";
import { registryRoutes } from "./registry-routes.js";
import { tenantAgentsFor } from "./resolve-workflow.js";
import { assertSubWorkflows } from "./sub-workflows.js";
import { BUNDLED_WORKFLOWS, bundledWorkflow } from "./workflow-registry.js";

/** What a workflow listing shows of each version: its description and node count. */
function workflowSummary(w: WorkflowDefinition): Record<string, unknown> {
  return { description: w.description ?? null, nodes: w.nodes.length };
}

let bundled: Map<string, { value: unknown; summary: Record<string, unknown> }> | undefined;

/**
 * `/v1/workflows` (functions/registry-routes.ts): the tenant's workflow definitions by name. A PUT body is a workflow
 * definition (docs/workflows.md) whose `name`, when present, equals the URL's; it is validated like an inline one
 * (422 `invalid-workflow`), its agents resolved at PUT time (inline, then the tenant's `/v1/agents`, then bundled)
 * and stored with defaults filled in, so a version never changes when an agent does.
 */
export const workflowRoutes = registryRoutes({
  kind: "workflow",
  collection: "workflows",
  nameRe: WORKFLOW_NAME_RE,
  nameRule: "must match /^[a-z0-9][a-z0-9-]{0,63}$/",
  maxBytes: MAX_REGISTERED_WORKFLOW_BYTES,
  async validate(c, raw, name) {
    const { config, registry } = c.get("services");
    if (raw && typeof raw === "object" && !Array.isArray(raw)) {
      const given = (raw as { name?: unknown }).name;
      if (given !== undefined && given !== name) {
        throw new ProblemError(
          invalidWorkflow(`The definition's name must be the URL's ("${name}")`, {
            errors: [{ pointer: "/name", detail: `must equal "${name}"` }],
          }),
        );
      }
      raw = { ...raw, name };
    }
    const agents = await tenantAgentsFor(registry, c.get("tenant"), raw);
    const v = validateWorkflow(withBundledAgents(raw, agents), "", {
      maxNodes: config.maxNodes,
      // http nodes are checked as in an inline definition (SSRF guard, listed secrets)
      http: httpValidation(config.environment, config.httpNodes),
    });
    if (!v.ok) throw new ProblemError(v.problem);
    // workflow nodes name workflows that exist and lead to no cycle (functions/sub-workflows.ts)
    await assertSubWorkflows(registry, c.get("tenant"), v.workflow, "");
    return { value: v.workflow, summary: workflowSummary(v.workflow) };
  },
  bundled() {
    if (!bundled) {
      bundled = new Map();
      for (const raw of BUNDLED_WORKFLOWS) {
        const b = bundledWorkflow((raw as { name: string }).name);
        if (b) bundled.set(b.workflow.name, { value: b.workflow, summary: workflowSummary(b.workflow) });
      }
    }
    return bundled;
  },
});
