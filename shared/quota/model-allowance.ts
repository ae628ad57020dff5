/**
 * Which models and tiers a tenant's nodes may use (`allowedModels`, `allowedTiers` of its quota):
 * - at trigger time, {@link disallowedModelErrors} lists every node whose explicit choice is not allowed (the start
 *   is refused with 403 `quota-model-not-allowed` naming those nodes);
 * - at routing time, {@link clampTier} keeps an automatic choice (rules or classifier) inside the allowed tiers.
 * Rules: an explicit tier (`"deep"`, `"anthropic:deep"`) must be in `allowedTiers` when that is set. An explicit
 * concrete model is allowed when `allowedModels` lists it; when `allowedModels` is unset and `allowedTiers` is set,
 * the model must sit in the tier map at an allowed tier. Tier-map models of allowed tiers need no `allowedModels`
 * entry. `auto` is allowed unless `allowedTiers` is empty.
 */
import type { ProblemFieldError } from "../errors/problem.js";
import { resolveModelChoice } from "../routing/model-choice.js";
import { TIERS, type Tier, tierRank } from "../routing/tier.js";
import { findModel, type TierMap } from "../routing/tier-map.js";
import type { WorkflowDefinition } from "../schema/workflow.js";
import type { TenantQuota } from "./quota-spec.js";

/** JSON Pointer token escaping (RFC 6901 §3). */
function token(s: string): string {
  return s.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * Every node of `workflow` whose model choice `quota` does not allow, one error each naming the node and the field
 * (`/workflow/nodes/<i>/model`, or `/workflow/agents/<name>/model` when the choice comes from the agent).
 * @param defaultProvider provider of agents that name none (config `DEFAULT_PROVIDER`), to place a model in the map.
 * @returns an empty array when every node is allowed (always, when the quota sets neither list).
 */
export function disallowedModelErrors(
  workflow: WorkflowDefinition,
  quota: TenantQuota | undefined,
  tierMap: TierMap,
  defaultProvider: string,
): ProblemFieldError[] {
  if (!quota || (quota.allowedModels === undefined && quota.allowedTiers === undefined)) return [];
  const { allowedModels, allowedTiers } = quota;
  const errors: ProblemFieldError[] = [];
  workflow.nodes.forEach((node, i) => {
    const agent = workflow.agents[node.agent] ?? {};
    const choice = resolveModelChoice(node.model, agent.model);
    const pointer =
      choice.kind !== "auto" && choice.from === "agent"
        ? `/workflow/agents/${token(node.agent)}/model`
        : `/workflow/nodes/${i}/model`;
    let why: string | null = null;
    if (choice.kind === "auto") {
      if (allowedTiers !== undefined && allowedTiers.length === 0) why = "automatic routing: no tier is allowed";
    } else if (choice.kind === "tier") {
      if (allowedTiers !== undefined && !allowedTiers.includes(choice.tier))
        why = `tier "${choice.tier}" is not allowed (allowed tiers: ${allowedTiers.join(", ") || "none"})`;
    } else if (!allowedModels?.includes(choice.model)) {
      if (allowedModels !== undefined) why = `model "${choice.model}" is not allowed`;
      else if (allowedTiers !== undefined) {
        const found = findModel(tierMap, choice.model, agent.provider ?? defaultProvider);
        if (!found || !allowedTiers.includes(found.tier))
          why = `model "${choice.model}" is not in an allowed tier (allowed tiers: ${allowedTiers.join(", ") || "none"})`;
      }
    }
    if (why) errors.push({ pointer, node: node.id, detail: `node "${node.id}": ${why}` });
  });
  return errors;
}

/**
 * Keeps a routed tier inside `allowed`: the tier itself when allowed (or when `allowed` is unset or empty), else the
 * most capable allowed tier below it, else the cheapest allowed tier above it.
 */
export function clampTier(tier: Tier, allowed: readonly Tier[] | undefined): Tier {
  if (!allowed || allowed.length === 0 || allowed.includes(tier)) return tier;
  const below = TIERS.filter((t) => tierRank(t) < tierRank(tier) && allowed.includes(t));
  if (below.length > 0) return below[below.length - 1] as Tier;
  return TIERS.find((t) => allowed.includes(t)) as Tier;
}
