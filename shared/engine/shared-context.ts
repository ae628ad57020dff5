import { templateRefs } from "../dag/template.js";
import type { WorkflowDefinition } from "../schema/workflow.js";

/**
 * For every node, the upstream output it shares with its siblings, sent as a cacheable prefix (Anthropic prompt
 * caching: the five reviewers all read the same analysis, so only the first writes the cache and the others read
 * it). Computed once per run (the run cache keeps it), in one pass over the templates.
 *
 * Rule: among the nodes a prompt template reads (`{{nodes.<id>.output}}`, in template order), the first whose
 * output at least two nodes of the workflow read.
 * @returns nodeId -> shared upstream id; nodes without one are absent.
 */
export function sharedContextRefs(workflow: Pick<WorkflowDefinition, "nodes">): ReadonlyMap<string, string> {
  const readers = new Map<string, number>();
  const refsOf = workflow.nodes.map((n) => [n.id, [...new Set(templateRefs(n.prompt).nodes)]] as const);
  for (const [, refs] of refsOf) for (const r of refs) readers.set(r, (readers.get(r) ?? 0) + 1);
  const shared = new Map<string, string>();
  for (const [id, refs] of refsOf) {
    const ref = refs.find((r) => (readers.get(r) ?? 0) >= 2);
    if (ref) shared.set(id, ref);
  }
  return shared;
}

/** What replaces the shared output inside the prompt, so it is not sent twice. */
export function sharedContextPointer(ref: string): string {
  return `[the output of ${ref} is given above as shared context]`;
}
