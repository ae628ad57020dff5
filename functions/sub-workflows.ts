import { subWorkflowIssues, type WorkflowLookup } from "../shared/dag/sub-workflow-refs.js";
import type { SubWorkflowResolver } from "../shared/engine/sub-workflow-node.js";
import { invalidWorkflow, ProblemError } from "../shared/errors/problem.js";
import type { RegistryStore } from "../shared/registry/registry-store.js";
import type { WorkflowDefinition } from "../shared/schema/workflow.js";
import { resolveWorkflow } from "./resolve-workflow.js";

/**
 * The engine's {@link SubWorkflowResolver}: a workflow node's child by name, the tenant's registry first, then the
 * bundled workflows (resolve-workflow.ts); null when none has that name (or version).
 */
export function subWorkflowResolver(registry: RegistryStore): SubWorkflowResolver {
  return async (tenant, name, version) => {
    try {
      return await resolveWorkflow(registry, tenant, name, version);
    } catch (err) {
      if (err instanceof ProblemError && err.problem.status === 422) return null;
      throw err;
    }
  };
}

/** A {@link WorkflowLookup} of `tenant`'s registered and the bundled workflows. */
export function workflowLookup(registry: RegistryStore, tenant: string): WorkflowLookup {
  const resolve = subWorkflowResolver(registry);
  return async (name, version) => (await resolve(tenant, name, version))?.workflow ?? null;
}

/**
 * Checks the workflows a validated definition's workflow nodes name (shared/dag/sub-workflow-refs.ts): each exists
 * for the tenant, and none leads back to the definition or forms a cycle.
 * @param basePointer pointer of the definition inside the request body (`/workflow`, or `""` for a registry PUT).
 * @throws ProblemError 422 `invalid-workflow` naming each node and field (`/…/nodes/<i>/workflow/name|version`).
 */
export async function assertSubWorkflows(
  registry: RegistryStore,
  tenant: string,
  workflow: WorkflowDefinition,
  basePointer: string,
): Promise<void> {
  if (!workflow.nodes.some((n) => n.kind === "workflow")) return;
  const errors = await subWorkflowIssues(workflow, workflowLookup(registry, tenant), basePointer);
  if (errors.length === 0) return;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  throw new ProblemError(invalidWorkflow(`Invalid workflow definition: ${errors[0]?.detail}${more}`, { errors }));
}
