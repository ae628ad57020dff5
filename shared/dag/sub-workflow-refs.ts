/**
 * The workflows a definition's workflow nodes (`kind: "workflow"`) name, checked where the names are static: each
 * must exist (the tenant's registry or the bundled workflows), and none may lead back, through the workflows it
 * names in turn, to the definition itself or to any workflow already on the path (a cycle would start child runs
 * until the depth limit, shared/schema/workflow-node.ts `MAX_WORKFLOW_DEPTH`, failed the deepest).
 */
import { pointer } from "../errors/json-pointer.js";
import type { ProblemFieldError } from "../errors/problem.js";
import type { WorkflowDefinition } from "../schema/workflow.js";

/**
 * Finds a named workflow (a registered `version`, or the latest; a bundled one has none).
 * @returns its parsed definition, or null when there is none of that name (and version).
 */
export type WorkflowLookup = (name: string, version: number | undefined) => Promise<WorkflowDefinition | null>;

/** Most distinct workflows one check looks up (ours: bounds the registry reads of one request). */
export const MAX_SUB_WORKFLOW_LOOKUPS = 64;

/**
 * Field errors for the workflow nodes of `workflow`: an unknown name (`/nodes/<i>/workflow/name`, or
 * `…/workflow/version` for an unknown version of a known name) or a cycle (`/nodes/<i>/workflow/name`, detail naming
 * the path, e.g. `review -> summarize -> review`). Workflows reached past {@link MAX_SUB_WORKFLOW_LOOKUPS} are not
 * looked at (the depth limit still stops them at run time).
 * @param basePointer pointer of the definition inside the request body, e.g. `"/workflow"`.
 * @throws whatever `lookup` throws (a Redis failure).
 */
export async function subWorkflowIssues(
  workflow: WorkflowDefinition,
  lookup: WorkflowLookup,
  basePointer = "",
): Promise<ProblemFieldError[]> {
  const errors: ProblemFieldError[] = [];
  const cache = new Map<string, Promise<WorkflowDefinition | null>>();
  const find = (name: string, version: number | undefined): Promise<WorkflowDefinition | null> | null => {
    const key = `${name}@${version ?? ""}`;
    let hit = cache.get(key);
    if (!hit) {
      if (cache.size >= MAX_SUB_WORKFLOW_LOOKUPS) return null;
      hit = lookup(name, version);
      cache.set(key, hit);
    }
    return hit;
  };
  /** The first cycle reached from `def` (whose path so far is `path`), as the list of names, or null. */
  const cycleFrom = async (def: WorkflowDefinition, path: string[]): Promise<string[] | null> => {
    for (const n of def.nodes) {
      if (n.kind !== "workflow" || !n.workflow) continue;
      const name = n.workflow.name;
      if (path.includes(name)) return [...path, name];
      const next = await find(name, n.workflow.version);
      if (!next) continue;
      const found = await cycleFrom(next, [...path, name]);
      if (found) return found;
    }
    return null;
  };
  for (const [i, node] of workflow.nodes.entries()) {
    const spec = node.kind === "workflow" ? node.workflow : undefined;
    if (!spec) continue;
    const at = (field: string) => pointer(["nodes", i, "workflow", field], basePointer);
    if (spec.name === workflow.name) {
      errors.push({
        pointer: at("name"),
        node: node.id,
        detail: `node "${node.id}": sub-workflows form a cycle (${workflow.name} -> ${spec.name})`,
      });
      continue;
    }
    const def = await find(spec.name, spec.version);
    if (!def) {
      const known = spec.version !== undefined && (await find(spec.name, undefined)) !== null;
      errors.push({
        pointer: at(known ? "version" : "name"),
        node: node.id,
        detail: known
          ? `node "${node.id}" names version ${spec.version} of workflow "${spec.name}", which does not exist`
          : `node "${node.id}" names workflow "${spec.name}", which is neither registered nor bundled`,
      });
      continue;
    }
    const cycle = await cycleFrom(def, [workflow.name, spec.name]);
    if (cycle) {
      errors.push({
        pointer: at("name"),
        node: node.id,
        detail: `node "${node.id}": sub-workflows form a cycle (${cycle.join(" -> ")})`,
      });
    }
  }
  return errors;
}
