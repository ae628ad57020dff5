import { invalidRequest, ProblemError } from "../shared/errors/problem.js";
import { zodIssuesToFieldErrors } from "../shared/errors/zod-issues.js";
import { MAX_REGISTERED_AGENT_BYTES } from "../shared/registry/registry-limits.js";
import { registryAgentSchema } from "../shared/schema/registry-agent.js";
import { AGENT_NAME_RE } from "../shared/schema/workflow.js";
import { bundledAgentCards, bundledAgents } from "./agent-registry.js";
import { registryRoutes } from "./registry-routes.js";

let bundled: Map<string, { value: unknown; summary: Record<string, unknown> }> | undefined;

/**
 * `/v1/agents` (functions/registry-routes.ts): the tenant's agent profiles by name, each with a `description` and
 * `capabilities` (shared/schema/registry-agent.ts) for the planner. Workflows started or stored afterwards use the
 * tenant's profile for a node's agent that they do not define inline (before a bundled one of the same name).
 * Bundled agents are listed with the `description` and `capabilities` of their file (workflows/agents/*.json).
 */
export const agentRoutes = registryRoutes({
  kind: "agent",
  collection: "agents",
  nameRe: AGENT_NAME_RE,
  nameRule: "must match /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/",
  maxBytes: MAX_REGISTERED_AGENT_BYTES,
  async validate(_c, raw, name) {
    const parsed = registryAgentSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ProblemError(
        invalidRequest("The agent profile is invalid", { errors: zodIssuesToFieldErrors(parsed.error) }),
      );
    }
    if (parsed.data.name !== undefined && parsed.data.name !== name) {
      throw new ProblemError(
        invalidRequest(`The profile's name must be the URL's ("${name}")`, {
          errors: [{ pointer: "/name", detail: `must equal "${name}"` }],
        }),
      );
    }
    const { name: _name, ...value } = parsed.data;
    return { value, summary: { description: value.description, capabilities: value.capabilities } };
  },
  bundled() {
    if (!bundled) {
      bundled = new Map();
      const cards = bundledAgentCards();
      for (const [name, profile] of bundledAgents()) {
        const card = cards.get(name);
        bundled.set(name, {
          value: profile,
          summary: { description: card?.description ?? null, capabilities: card?.capabilities ?? [] },
        });
      }
    }
    return bundled;
  },
});
