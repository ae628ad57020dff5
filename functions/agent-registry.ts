import { type AgentProfile, agentProfileSchema } from "../shared/schema/workflow.js";
import researcher from "../workflows/agents/researcher.json";
import summarizer from "../workflows/agents/summarizer.json";
import synthesizer from "../workflows/agents/synthesizer.json";

/** Agent profiles bundled from `workflows/agents/*.json` (`{ name, …profile }`), usable by any workflow by name. */
export const BUNDLED_AGENT_FILES: readonly unknown[] = [researcher, summarizer, synthesizer];

let bundled: Map<string, AgentProfile> | undefined;

/**
 * Bundled agents by name, validated once per isolate.
 * @throws Error when a bundled agent file is invalid (a packaging bug; tests keep it from shipping).
 */
export function bundledAgents(): ReadonlyMap<string, AgentProfile> {
  if (!bundled) {
    bundled = new Map();
    for (const file of BUNDLED_AGENT_FILES) {
      const { name, ...profile } = file as { name: string };
      const parsed = agentProfileSchema.safeParse(profile);
      if (!parsed.success) throw new Error(`bundled agent ${name} is invalid: ${parsed.error.message}`);
      bundled.set(name, parsed.data);
    }
  }
  return bundled;
}

/**
 * Adds to a raw workflow definition the bundled agents its nodes name but it does not define inline (an inline
 * agent of the same name wins). Returns the input unchanged when it is not an object with `nodes`; validation then
 * reports it.
 */
export function withBundledAgents(raw: unknown): unknown {
  if (!raw || typeof raw !== "object" || !Array.isArray((raw as { nodes?: unknown }).nodes)) return raw;
  const wf = raw as { agents?: unknown; nodes: unknown[] };
  const inline = wf.agents && typeof wf.agents === "object" ? (wf.agents as Record<string, unknown>) : undefined;
  const added: Record<string, AgentProfile> = {};
  for (const node of wf.nodes) {
    const name = node && typeof node === "object" ? (node as { agent?: unknown }).agent : undefined;
    if (typeof name !== "string" || (inline && Object.hasOwn(inline, name))) continue;
    const profile = bundledAgents().get(name);
    if (profile) added[name] = profile;
  }
  if (Object.keys(added).length === 0) return raw;
  return { ...wf, agents: { ...(inline ?? {}), ...added } };
}
