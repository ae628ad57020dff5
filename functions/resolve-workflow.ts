import type { CompiledDag } from "../shared/dag/types.js";
import { validateWorkflow } from "../shared/dag/validate.js";
import { invalidWorkflow, ProblemError } from "../shared/errors/problem.js";
import type { RegistryStore } from "../shared/registry/registry-store.js";
import { registryAgentSchema } from "../shared/schema/registry-agent.js";
import { type AgentProfile, NODE_LIMIT_CEILING, type WorkflowDefinition } from "../shared/schema/workflow.js";
import type { WorkflowRef } from "../shared/state/run-types.js";
import { canonicalJson, sha256Hex } from "../shared/util/hash.js";
import { referencedAgentNames } from "./agent-registry.js";
import { bundledWorkflow } from "./workflow-registry.js";

/** A workflow ready to start: definition, compiled DAG, and the registry entry it came from. */
export interface ResolvedWorkflow {
  workflow: WorkflowDefinition;
  dag: CompiledDag;
  ref: WorkflowRef;
}

/** Most compiled registry versions kept per isolate (ours; versions are immutable, so a hit never goes stale). */
const COMPILED_CACHE_SIZE = 32;
const compiledByHash = new Map<string, { workflow: WorkflowDefinition; dag: CompiledDag }>();
const bundledHashes = new Map<string, string>();

/**
 * The profiles a tenant registered for the agents `raw`'s nodes name but do not define inline (one script), as
 * workflow agent profiles (description, capabilities and name removed).
 */
export async function tenantAgentsFor(
  registry: RegistryStore,
  tenant: string,
  raw: unknown,
): Promise<Map<string, AgentProfile>> {
  const names = referencedAgentNames(raw);
  const found = await registry.getMany(
    "agent",
    tenant,
    names.map((name) => ({ name })),
  );
  const out = new Map<string, AgentProfile>();
  found.forEach((entry, i) => {
    if (!entry) return;
    const parsed = registryAgentSchema.safeParse(JSON.parse(entry.definition));
    if (!parsed.success) return;
    const { name: _n, description: _d, capabilities: _c, ...profile } = parsed.data;
    out.set(names[i] as string, profile);
  });
  return out;
}

/**
 * Resolves a workflow name for `tenant`: the tenant's registry first (its latest version, or `version`), then the
 * bundled workflows (which have no versions).
 * @param pointers where the name and the version are in the request, for problems.
 * @throws ProblemError 422 `invalid-workflow` when no entry has that name, when that version does not exist (never
 *   created, or pruned), or when a version is pinned for a bundled workflow.
 */
export async function resolveWorkflow(
  registry: RegistryStore,
  tenant: string,
  name: string,
  version: number | undefined,
  pointers: { name: string; version: string } = { name: "/workflow", version: "/version" },
): Promise<ResolvedWorkflow> {
  const [pinned, latest] = await registry.getMany("workflow", tenant, [{ name, version }, { name }]);
  if (pinned) {
    let compiled = compiledByHash.get(pinned.hash);
    if (!compiled) {
      // validated at its PUT under the deployment's node limit; a lowered limit does not strand stored versions
      const v = validateWorkflow(JSON.parse(pinned.definition), "", { maxNodes: NODE_LIMIT_CEILING });
      if (!v.ok) throw new ProblemError(v.problem);
      compiled = { workflow: v.workflow, dag: v.dag };
      if (compiledByHash.size >= COMPILED_CACHE_SIZE) compiledByHash.delete(compiledByHash.keys().next().value ?? "");
      compiledByHash.set(pinned.hash, compiled);
    }
    return { ...compiled, ref: { source: "tenant", version: pinned.version, hash: pinned.hash } };
  }
  if (latest) {
    throw new ProblemError(
      invalidWorkflow(`Workflow "${name}" has no version ${version} (the latest is ${latest.version})`, {
        errors: [{ pointer: pointers.version, detail: "unknown version" }],
      }),
    );
  }
  const bundled = bundledWorkflow(name);
  if (!bundled) {
    throw new ProblemError(
      invalidWorkflow(`No workflow named "${name}"`, {
        errors: [{ pointer: pointers.name, detail: "unknown workflow name" }],
      }),
    );
  }
  if (version !== undefined) {
    throw new ProblemError(
      invalidWorkflow(`"${name}" is a bundled workflow: it has no versions`, {
        errors: [{ pointer: pointers.version, detail: "bundled workflows have no versions" }],
      }),
    );
  }
  return { ...bundled, ref: { source: "bundled", version: null, hash: await bundledHash(name, bundled.workflow) } };
}

/** SHA-256 of a bundled workflow's canonical JSON (64 hex), computed once per isolate. */
export async function bundledHash(name: string, workflow: WorkflowDefinition): Promise<string> {
  let hash = bundledHashes.get(name);
  if (!hash) {
    hash = await sha256Hex(canonicalJson(workflow));
    bundledHashes.set(name, hash);
  }
  return hash;
}
