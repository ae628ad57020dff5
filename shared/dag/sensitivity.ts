/**
 * Effective sensitivity of a workflow's nodes. A node whose prompt reads a sensitive output (`{{nodes.<id>.output}}`)
 * or that depends on a sensitive node would otherwise store what it derived from that output in plaintext (its
 * output blob, result cache entry and excerpt). So sensitivity propagates down the DAG:
 *
 * - `sensitive: true` — sensitive;
 * - `sensitive: false` written explicitly — not sensitive, even when it reads a sensitive output (the workflow
 *   author's opt-out: e.g. a node that only answers "yes"/"no" about a secret); its own readers then inherit nothing
 *   from it;
 * - absent — sensitive exactly when one of its dependencies or template-read nodes is (effectively) sensitive.
 *
 * Pure and O(V + E); run once per run when the engine prepares it (shared/engine/run-cache.ts).
 */

/** One node as this pass sees it: id, the explicit flag (undefined when absent), and the nodes it reads. */
export interface SensitivityInput {
  id: string;
  sensitive?: boolean | undefined;
  /** Ids of the nodes whose output it may see: its dependencies and the nodes its prompt template reads. */
  reads: readonly string[];
}

/**
 * The ids of the nodes that are effectively sensitive (see the file header).
 * @param nodes every node of the workflow (and its compensation nodes) in a topological order: a node comes after
 *   every node it reads (compile.ts `order`, then the compensation nodes). Reads of unknown or later ids count as
 *   not sensitive.
 * @returns the set of sensitive node ids.
 */
export function effectiveSensitivity(nodes: readonly SensitivityInput[]): Set<string> {
  const out = new Set<string>();
  for (const n of nodes) {
    if (n.sensitive ?? n.reads.some((r) => out.has(r))) out.add(n.id);
  }
  return out;
}
