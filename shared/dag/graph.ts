/**
 * Graph analysis shared by the compiler and validation: index the nodes, collapse duplicate dependencies, find
 * every graph problem, and sort topologically (Kahn's algorithm). O(V + E).
 */
import { findCycles } from "./cycle.js";
import type { DagIssue } from "./dag-error.js";
import type { DagNodeInput } from "./types.js";

/**
 * Result of {@link analyzeGraph}.
 * - `issues`: every problem: duplicate ids first, then unknown and self dependencies in input order, then one
 *   cycle per strongly connected component.
 * - `indexOf`: id -> input index of the first node with that id.
 * - `depsOf`: input index -> distinct, known, non-self dependency indices (empty for later duplicates).
 * - `topo`: input indices in Kahn order (all unique nodes when there is no cycle).
 */
export type GraphAnalysis = {
  issues: DagIssue[];
  indexOf: Map<string, number>;
  depsOf: number[][];
  topo: number[];
};

/**
 * Analyses a node list without throwing. Later nodes that reuse an id are reported and then left out of the
 * graph; unknown and self dependencies are reported and then ignored, so that cycles are still found.
 */
export function analyzeGraph(nodes: readonly DagNodeInput[]): GraphAnalysis {
  const n = nodes.length;
  const issues: DagIssue[] = [];
  const indexOf = new Map<string, number>();
  const duplicate = new Uint8Array(n);

  for (let i = 0; i < n; i++) {
    const id = nodes[i]!.id;
    const first = indexOf.get(id);
    if (first === undefined) {
      indexOf.set(id, i);
      continue;
    }
    duplicate[i] = 1;
    issues.push({
      code: "duplicate-id",
      node: id,
      index: i,
      firstIndex: first,
      message: `duplicate node id "${id}" (also used by node ${first})`,
    });
  }

  const depsOf: number[][] = new Array<number[]>(n);
  const pending = new Int32Array(n);
  const dependentsOf: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) dependentsOf[i] = [];

  for (let i = 0; i < n; i++) {
    const deps: number[] = [];
    depsOf[i] = deps;
    if (duplicate[i]) continue;
    const node = nodes[i]!;
    const seen = new Set<number>();
    node.dependsOn.forEach((depId, j) => {
      const d = indexOf.get(depId);
      if (d === undefined) {
        issues.push({
          code: "unknown-dependency",
          node: node.id,
          index: i,
          dependency: depId,
          dependencyIndex: j,
          message: `node "${node.id}" depends on unknown node "${depId}"`,
        });
      } else if (d === i) {
        if (!seen.has(d)) {
          issues.push({
            code: "self-dependency",
            node: node.id,
            index: i,
            dependency: depId,
            dependencyIndex: j,
            message: `node "${node.id}" depends on itself`,
          });
        }
        seen.add(d);
      } else if (!seen.has(d)) {
        seen.add(d);
        deps.push(d);
        dependentsOf[d]!.push(i);
      }
    });
    pending[i] = deps.length;
  }

  // Kahn's algorithm; the queue starts with roots in input order.
  const topo: number[] = [];
  for (let i = 0; i < n; i++) if (!duplicate[i] && pending[i] === 0) topo.push(i);
  for (let head = 0; head < topo.length; head++) {
    for (const w of dependentsOf[topo[head]!]!) {
      if (--pending[w]! === 0) topo.push(w);
    }
  }

  const uniqueCount = indexOf.size;
  if (topo.length < uniqueCount) {
    const remaining: number[] = [];
    for (let i = 0; i < n; i++) if (!duplicate[i] && pending[i]! > 0) remaining.push(i);
    for (const cycle of findCycles(remaining, depsOf)) {
      const path = cycle.map((k) => nodes[k]!.id);
      const start = cycle[0]!;
      const next = path[1]!;
      issues.push({
        code: "cycle",
        node: path[0]!,
        index: start,
        dependency: next,
        dependencyIndex: nodes[start]!.dependsOn.indexOf(next),
        path,
        message: `dependency cycle: ${path.join(" -> ")} (each node depends on the next)`,
      });
    }
  }

  return { issues, indexOf, depsOf, topo };
}
