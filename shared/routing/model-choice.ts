/**
 * What a workflow asked for in its `model` fields: automatic routing, a tier, a tier of a named provider, or a
 * concrete model. The node's `model` wins over its agent's; a node saying `"auto"` routes automatically even when its
 * agent names a model. Neither set means `"auto"`.
 */

import { isTier, type Tier } from "./tier.js";
import { PROVIDER_NAME_RE } from "./tier-map.js";

/** The `model` value that asks for automatic routing. */
export const AUTO_MODEL = "auto";

/** Which definition field a choice came from. */
export type ChoiceOrigin = "node" | "agent";

/**
 * A parsed model choice:
 * - `auto`: route by task analysis;
 * - `tier`: `"fast" | "balanced" | "deep"` (the deployment's default provider) or `"<provider>:<tier>"`
 *   (e.g. `"anthropic:deep"`), with `provider` null for the former;
 * - `model`: anything else, a concrete model id such as `"claude-sonnet-…"` or `"sim-balanced"`.
 * `spec` is the value as written; `from` says whether the node or its agent set it.
 */
export type ModelChoice =
  | { kind: "auto" }
  | { kind: "tier"; tier: Tier; provider: string | null; from: ChoiceOrigin; spec: string }
  | { kind: "model"; model: string; from: ChoiceOrigin; spec: string };

/**
 * Parses one `model` value. `"<name>:<tier>"` is a provider tier only when `<name>` looks like a provider name
 * (tier-map.ts `PROVIDER_NAME_RE`) and `<tier>` is a tier; other values with a colon (e.g. `llama3:8b`) are models.
 * Whether the provider exists in the tier map is checked by `routeModel`.
 */
export function parseModelSpec(spec: string, from: ChoiceOrigin): ModelChoice {
  const value = spec.trim();
  if (value === "" || value === AUTO_MODEL) return { kind: "auto" };
  if (isTier(value)) return { kind: "tier", tier: value, provider: null, from, spec };
  const colon = value.lastIndexOf(":");
  if (colon > 0) {
    const provider = value.slice(0, colon);
    const tier = value.slice(colon + 1);
    if (PROVIDER_NAME_RE.test(provider) && isTier(tier)) return { kind: "tier", tier, provider, from, spec };
  }
  return { kind: "model", model: value, from, spec };
}

/**
 * The effective choice of a node: its own `model` when set (including `"auto"`), else its agent's, else auto.
 * @param nodeModel the node's `model` field, if any.
 * @param agentModel the agent profile's `model` field, if any.
 */
export function resolveModelChoice(nodeModel: string | undefined, agentModel: string | undefined): ModelChoice {
  if (nodeModel !== undefined) return parseModelSpec(nodeModel, "node");
  if (agentModel !== undefined) return parseModelSpec(agentModel, "agent");
  return { kind: "auto" };
}
