/**
 * The operator's switch for the free `simulated` provider (`ALLOW_SIMULATED_PROVIDER`, off by default in
 * production): when it is off, a run with a node that would call `simulated` is refused at trigger time (403
 * `provider-disabled` naming the node) instead of failing later at that node.
 */
import type { ProblemFieldError } from "../errors/problem.js";
import { resolveModelChoice } from "../routing/model-choice.js";
import { findModel, type TierMap } from "../routing/tier-map.js";
import type { WorkflowDefinition } from "../schema/workflow.js";

/** Name of the free provider (shared/providers/factory.ts registers it under this name). */
export const SIMULATED_PROVIDER = "simulated";

/**
 * The provider a node's call goes to, as routing (shared/routing/route-model.ts) will decide it: a
 * `"<provider>:<tier>"` choice names it; a concrete model belongs to the provider the tier map lists it under
 * (searched from the agent's provider), else to the agent's provider; otherwise the agent's provider or the default.
 */
export function providerOfNode(
  workflow: WorkflowDefinition,
  index: number,
  tierMap: TierMap,
  defaultProvider: string,
): string {
  const node = workflow.nodes[index];
  const agent = (node && workflow.agents[node.agent]) ?? {};
  const base = agent.provider ?? defaultProvider;
  const choice = resolveModelChoice(node?.model, agent.model);
  if (choice.kind === "tier") return choice.provider ?? base;
  if (choice.kind === "model") return findModel(tierMap, choice.model, base)?.provider ?? base;
  return base;
}

/**
 * Every node of `workflow` that would call the `simulated` provider, one error each (`/workflow/nodes/<i>`); an http
 * node calls none.
 * @returns an empty array when none would.
 */
export function simulatedNodeErrors(
  workflow: WorkflowDefinition,
  tierMap: TierMap,
  defaultProvider: string,
): ProblemFieldError[] {
  const errors: ProblemFieldError[] = [];
  workflow.nodes.forEach((node, i) => {
    // an http node calls no model (shared/http/)
    if (node.kind === "http" || node.kind === "workflow") return;
    if (providerOfNode(workflow, i, tierMap, defaultProvider) === SIMULATED_PROVIDER)
      errors.push({
        pointer: `/workflow/nodes/${i}`,
        node: node.id,
        detail: `node "${node.id}" would use the simulated provider, which this deployment turned off`,
      });
  });
  return errors;
}
