/**
 * The result cache's key: the content of the call, so equal calls share one entry.
 *
 * A node's cache key is the SHA-256 (64 lowercase hex) of the canonical JSON (object keys sorted at every depth,
 * shared/util/hash.ts) of its {@link CacheKeyMaterial}. Two calls get the same key exactly when everything that
 * shapes the provider's answer is the same, and the same invalidations apply to them. Because the material holds
 * the content hashes of the upstream outputs the prompt read, a changed upstream output changes the key of every
 * node downstream of it, level after level: cascade invalidation with no bookkeeping.
 */
import { canonicalJson, sha256Hex } from "../util/hash.js";
import { activeGenerations, type GenerationVector } from "./generations.js";
import { checkTenant } from "./keys.js";

/**
 * Version of the key material's layout. Bump it when the material or its meaning changes: every key changes with
 * it, so entries written under the old layout are never read.
 */
export const CACHE_KEY_VERSION = 1;

/** What the engine knows about a node's call once its prompt is rendered and its model routed. */
export interface CacheKeyInput {
  /** Tenant that owns the run (API key owner). */
  tenant: string;
  /** The agent: its name in the workflow, its system prompt (absent = none) and the resolved provider. */
  agent: { name: string; system?: string | undefined; provider: string };
  /** Resolved model id (after routing and any budget downgrade), e.g. `claude-sonnet-4-5`, never a tier or `auto`. */
  model: string;
  /** Sampling parameters sent to the provider: output limit in tokens and temperature (absent = provider default). */
  params: { maxOutputTokens: number; temperature?: number | undefined };
  /** Upstream output sent before the prompt as a cacheable prefix (execute-node's shared context), if any. */
  sharedContext?: string | undefined;
  /** Rendered prompt, as sent (templates filled in; the shared context, if any, as its pointer). */
  prompt: string;
  /** Upstream outputs the prompt read: nodeId -> output blob ref (content hash), as a record or pairs. */
  inputs: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
  /**
   * Blob ref of the run input. Leave it out when the prompt reads the input through `{{input.*}}` only: the
   * rendered prompt already holds every input value the node sees, and the ref would change the key whenever any
   * unrelated part of the input changes.
   */
  runInputRef?: string | undefined;
  /** Whether the node is `sensitive` (output stored encrypted at rest); such entries never mix with plain ones. */
  sensitive?: boolean | undefined;
  /** Generations of the fields that apply to the node (`CacheStore.readGenerations`). */
  generations: GenerationVector;
  /** The node's output schema (`output.schema`), when it asks for structured output. */
  outputSchema?: unknown;
}

/**
 * Exactly what is hashed into a cache key, and why each field is there. Not in the key: the workflow name, node id,
 * run id and tags themselves, so identical calls share one entry across nodes, runs and workflows until an
 * invalidation singles some of them out.
 */
export interface CacheKeyMaterial {
  /** {@link CACHE_KEY_VERSION}, so a layout change never reads old entries. */
  v: number;
  /** One tenant's key can never equal another's (the tenant is also in the Redis key path, keys.ts). */
  tenant: string;
  /** Who answers and under which instructions (`system` is `""` when the agent has none); the provider because one
   * model id can mean different models on different providers. */
  agent: { name: string; system: string; provider: string };
  /** The resolved model id, so a routing change or a budget downgrade is a different call. */
  model: string;
  /** They change the answer (`temperature` null: the provider's default). */
  params: { maxOutputTokens: number; temperature: number | null };
  /** The text of the upstream output sent as a prefix, or null. */
  sharedContext: string | null;
  /** The rendered prompt (which holds every `{{input.*}}` value it read). */
  prompt: string;
  /** `[nodeId, outputRef]` of every upstream output the prompt read, sorted by node id: a new upstream output
   * changes the key (cascade invalidation). */
  inputs: [string, string][];
  /** The run input's blob ref when the engine passes it, else null. */
  runInputRef: string | null;
  /** Sensitive nodes (encrypted outputs) and plain nodes never share entries. */
  sensitive: boolean;
  /** `[field, generation]` of every invalidation generation > 0 that applies to the node (`*`, `wf:<workflow>`,
   * `node:<workflow>:<nodeId>`, `tag:<tag>`), sorted (generations.ts): invalidating a selector changes the keys of
   * exactly the nodes it selects. */
  generations: [string, number][];
  /** The node's output schema (hashed as canonical JSON with the rest): another schema is another answer. Absent
   * for a plain-text node, so the material (and key) of such nodes is what it was before the field existed. */
  outputSchema?: unknown;
}

/**
 * Normalises a node's call into its {@link CacheKeyMaterial} (defaults filled, inputs and generations sorted).
 * @throws RangeError for an empty or `{`/`}`-holding tenant, an empty agent name, provider, model or input ref, a
 *   node id listed twice in `inputs` with different refs, a `maxOutputTokens` that is not an integer >= 1, a
 *   non-finite temperature, or a generation that is not an integer >= 0.
 */
export function cacheKeyMaterial(input: CacheKeyInput): CacheKeyMaterial {
  checkTenant(input.tenant);
  nonEmpty("agent name", input.agent.name);
  nonEmpty("provider", input.agent.provider);
  nonEmpty("model", input.model);
  const { maxOutputTokens, temperature } = input.params;
  if (!Number.isSafeInteger(maxOutputTokens) || maxOutputTokens < 1) {
    throw new RangeError(`Expected maxOutputTokens to be an integer >= 1, got ${maxOutputTokens}`);
  }
  if (temperature !== undefined && !Number.isFinite(temperature))
    throw new RangeError(`Expected a finite temperature, got ${temperature}`);
  return {
    v: CACHE_KEY_VERSION,
    tenant: input.tenant,
    agent: { name: input.agent.name, system: input.agent.system ?? "", provider: input.agent.provider },
    model: input.model,
    params: { maxOutputTokens, temperature: temperature ?? null },
    sharedContext: input.sharedContext ?? null,
    prompt: input.prompt,
    inputs: sortedInputs(input.inputs),
    runInputRef: input.runInputRef ?? null,
    sensitive: input.sensitive ?? false,
    generations: activeGenerations(input.generations),
    ...(input.outputSchema !== undefined ? { outputSchema: input.outputSchema } : {}),
  };
}

/**
 * A node's cache key: SHA-256 of the canonical JSON of {@link cacheKeyMaterial}(input).
 * @returns 64 lowercase hex characters.
 * @throws RangeError as {@link cacheKeyMaterial}.
 */
export async function computeCacheKey(input: CacheKeyInput): Promise<string> {
  return sha256Hex(canonicalJson(cacheKeyMaterial(input)));
}

function sortedInputs(inputs: CacheKeyInput["inputs"]): [string, string][] {
  const pairs = Array.isArray(inputs) ? (inputs as readonly (readonly [string, string])[]) : Object.entries(inputs);
  const byNode = new Map<string, string>();
  for (const [nodeId, ref] of pairs) {
    nonEmpty("input node id", nodeId);
    nonEmpty(`output ref of ${nodeId}`, ref);
    const seen = byNode.get(nodeId);
    if (seen !== undefined && seen !== ref)
      throw new RangeError(`Input ${nodeId} listed with two refs: ${seen}, ${ref}`);
    byNode.set(nodeId, ref);
  }
  return [...byNode.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function nonEmpty(what: string, value: string): void {
  if (value === "") throw new RangeError(`Expected a non-empty ${what}`);
}
