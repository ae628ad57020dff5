import { agentFileSchema } from "../shared/schema/agent-file.js";
import { type AgentProfile, DEFAULT_AGENT_NAME } from "../shared/schema/workflow.js";
import assistant from "../workflows/agents/assistant.json";
import researcher from "../workflows/agents/researcher.json";
import summarizer from "../workflows/agents/summarizer.json";
import synthesizer from "../workflows/agents/synthesizer.json";

/**
 * Agent profiles bundled from `workflows/agents/*.json` (`{ $schema?, name, …profile }`), usable by any workflow by
 * name; `assistant` is the default agent of nodes that name none (DEFAULT_AGENT_NAME).
 */
export const BUNDLED_AGENT_FILES: readonly unknown[] = [assistant, researcher, summarizer, synthesizer];

/** What the planner reads of a bundled agent: its description (null when the file has none) and capabilities. */
export interface BundledAgentCard {
  description: string | null;
  capabilities: string[];
}

let bundled: Map<string, AgentProfile> | undefined;
let cards: Map<string, BundledAgentCard> | undefined;

/**
 * Bundled agents by name, validated once per isolate (the planner's `description` and `capabilities` removed: they
 * are not profile fields, see {@link bundledAgentCards}).
 * @throws Error when a bundled agent file is invalid (a packaging bug; tests keep it from shipping).
 */
export function bundledAgents(): ReadonlyMap<string, AgentProfile> {
  if (!bundled) {
    const profiles = new Map<string, AgentProfile>();
    const read = new Map<string, BundledAgentCard>();
    for (const file of BUNDLED_AGENT_FILES) {
      const parsed = agentFileSchema.safeParse(file);
      if (!parsed.success) {
        const name = (file as { name?: unknown }).name;
        throw new Error(`bundled agent ${String(name)} is invalid: ${parsed.error.message}`);
      }
      const { $schema: _schema, name, description, capabilities, ...profile } = parsed.data;
      profiles.set(name, profile);
      read.set(name, { description: description ?? null, capabilities });
    }
    bundled = profiles;
    cards = read;
  }
  return bundled;
}

/**
 * The planner's view of each bundled agent, by name: `description` and `capabilities` from its file.
 * @throws Error as {@link bundledAgents}.
 */
export function bundledAgentCards(): ReadonlyMap<string, BundledAgentCard> {
  bundledAgents();
  return cards as ReadonlyMap<string, BundledAgentCard>;
}

/**
 * Names of the agents a raw workflow definition's nodes use (a node without `agent` uses DEFAULT_AGENT_NAME) that it
 * does not define inline, sorted and distinct: what a tenant's registry may supply. `[]` when the input is not an
 * object with `nodes`.
 */
export function referencedAgentNames(raw: unknown): string[] {
  if (!raw || typeof raw !== "object" || !Array.isArray((raw as { nodes?: unknown }).nodes)) return [];
  const wf = raw as { agents?: unknown; nodes: unknown[] };
  const inline = wf.agents && typeof wf.agents === "object" ? (wf.agents as Record<string, unknown>) : undefined;
  const names = new Set<string>();
  for (const node of wf.nodes) {
    const name =
      node && typeof node === "object" ? ((node as { agent?: unknown }).agent ?? DEFAULT_AGENT_NAME) : undefined;
    if (typeof name === "string" && !(inline && Object.hasOwn(inline, name))) names.add(name);
  }
  return [...names].sort();
}

/**
 * Adds to a raw workflow definition the agents its nodes name but it does not define inline: from `tenantAgents` (the
 * tenant's registry, functions/resolve-workflow.ts `tenantAgentsFor`) first, else bundled (an inline agent of the same
 * name wins); a node without `agent` names DEFAULT_AGENT_NAME (`assistant`). Returns the input unchanged when it is
 * not an object with `nodes`; validation then reports it.
 */
export function withBundledAgents(raw: unknown, tenantAgents?: ReadonlyMap<string, AgentProfile>): unknown {
  if (!raw || typeof raw !== "object" || !Array.isArray((raw as { nodes?: unknown }).nodes)) return raw;
  const wf = raw as { agents?: unknown; nodes: unknown[] };
  const inline = wf.agents && typeof wf.agents === "object" ? (wf.agents as Record<string, unknown>) : undefined;
  const added: Record<string, AgentProfile> = {};
  for (const name of referencedAgentNames(raw)) {
    const profile = tenantAgents?.get(name) ?? bundledAgents().get(name);
    if (profile) added[name] = profile;
  }
  if (Object.keys(added).length === 0) return raw;
  return { ...wf, agents: { ...(inline ?? {}), ...added } };
}
