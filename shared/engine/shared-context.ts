import { templateRefs } from "../dag/template.js";
import type { WorkflowDefinition } from "../schema/workflow.js";

/**
 * The upstream output a node shares with its siblings, sent as a cacheable prefix (Anthropic prompt caching: the
 * five reviewers all read the same analysis, so only the first writes the cache and the others read it).
 *
 * Rule: among the nodes the prompt template reads (`{{nodes.<id>.output}}`, in template order), the first whose
 * output at least two nodes of the workflow read. Null when none is shared.
 */
export function sharedContextRef(workflow: WorkflowDefinition, nodeId: string): string | null {
  const readers = new Map<string, number>();
  let own: string[] = [];
  for (const n of workflow.nodes) {
    const refs = [...new Set(templateRefs(n.prompt).nodes)];
    if (n.id === nodeId) own = refs;
    for (const r of refs) readers.set(r, (readers.get(r) ?? 0) + 1);
  }
  return own.find((r) => (readers.get(r) ?? 0) >= 2) ?? null;
}

/** What replaces the shared output inside the prompt, so it is not sent twice. */
export function sharedContextPointer(ref: string): string {
  return `[the output of ${ref} is given above as shared context]`;
}
