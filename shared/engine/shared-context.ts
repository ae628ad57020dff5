import { type TemplateRefs, templateRefs } from "../dag/template.js";
import type { WorkflowDefinition } from "../schema/workflow.js";

/**
 * For every node, the upstream output it shares with its siblings, sent as a cacheable prefix (Anthropic prompt
 * caching: the five reviewers all read the same analysis, so only the first writes the cache and the others read
 * it). Computed once per run (the run cache keeps it), in one pass over the templates.
 *
 * Rule: among the nodes a prompt template reads whole (`{{nodes.<id>.output}}`, in template order), the first whose
 * output at least two nodes of the workflow read whole. A node read only through a path
 * (`{{nodes.<id>.output.files[0]}}`) is not shared: its reader sends only the field.
 * @param reads each node's template references when the caller has them (run-cache.ts), else parsed here.
 * @returns nodeId -> shared upstream id; nodes without one are absent.
 */
export function sharedContextRefs(
  workflow: Pick<WorkflowDefinition, "nodes">,
  reads: ReadonlyMap<string, TemplateRefs> = templateReads(workflow),
): ReadonlyMap<string, string> {
  const readers = new Map<string, number>();
  const refsOf = workflow.nodes.map((n) => [n.id, [...new Set(reads.get(n.id)?.whole ?? [])]] as const);
  for (const [, refs] of refsOf) for (const r of refs) readers.set(r, (readers.get(r) ?? 0) + 1);
  const shared = new Map<string, string>();
  for (const [id, refs] of refsOf) {
    const ref = refs.find((r) => (readers.get(r) ?? 0) >= 2);
    if (ref) shared.set(id, ref);
  }
  return shared;
}

/** Every node's template references (`{{input…}}` paths and upstream node ids), by node id. */
export function templateReads(workflow: Pick<WorkflowDefinition, "nodes">): ReadonlyMap<string, TemplateRefs> {
  return new Map(workflow.nodes.map((n) => [n.id, templateRefs(n.prompt)]));
}

/** What replaces the shared output inside the prompt, so it is not sent twice. */
export function sharedContextPointer(ref: string): string {
  return `[the output of ${ref} is given above as shared context]`;
}
