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

let bundled: Map<string, AgentProfile> | undefined;

/**
 * Bundled agents by name, validated once per isolate.
 * @throws Error when a bundled agent file is invalid (a packaging bug; tests keep it from shipping).
 */
export function bundledAgents(): ReadonlyMap<string, AgentProfile> {
  if (!bundled) {
    bundled = new Map();
    for (const file of BUNDLED_AGENT_FILES) {
      const parsed = agentFileSchema.safeParse(file);
      if (!parsed.success) {
        const name = (file as { name?: unknown }).name;
        throw new Error(`bundled agent ${String(name)} is invalid: ${parsed.error.message}`);
      }
      const { $schema: _schema, name, ...profile } = parsed.data;
      bundled.set(name, profile);
    }
  }
  return bundled;
}

/**
 * Adds to a raw workflow definition the bundled agents its nodes name but it does not define inline (an inline
 * agent of the same name wins); a node without `agent` names DEFAULT_AGENT_NAME (`assistant`). Returns the input unchanged when it is not an object with `nodes`; validation then
 * reports it.
 */
export function withBundledAgents(raw: unknown): unknown {
  if (!raw || typeof raw !== "object" || !Array.isArray((raw as { nodes?: unknown }).nodes)) return raw;
  const wf = raw as { agents?: unknown; nodes: unknown[] };
  const inline = wf.agents && typeof wf.agents === "object" ? (wf.agents as Record<string, unknown>) : undefined;
  const added: Record<string, AgentProfile> = {};
  for (const node of wf.nodes) {
    const name =
      node && typeof node === "object" ? ((node as { agent?: unknown }).agent ?? DEFAULT_AGENT_NAME) : undefined;
    if (typeof name !== "string" || (inline && Object.hasOwn(inline, name))) continue;
    const profile = bundledAgents().get(name);
    if (profile) added[name] = profile;
  }
  if (Object.keys(added).length === 0) return raw;
  return { ...wf, agents: { ...(inline ?? {}), ...added } };
}
