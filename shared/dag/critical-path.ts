/**
 * Longest weighted paths over a compiled DAG: remaining path per node and the critical path.
 *
 * The critical path is the longest chain of node durations, the lower bound of any run's makespan with unlimited
 * workers. O(V + E).
 */
import type { CompiledDag, CriticalPath } from "./types.js";

/** The slice of a compiled DAG the longest-path computation needs. */
export type PathGraph = Pick<CompiledDag, "order" | "dependents">;

/**
 * Computes, for each node, the largest total weight of a path from it (included) to a sink, and the critical
 * path. Ties are broken by position in `order`, then in `dependents`.
 *
 * @param graph - `order` (topological) and `dependents` of a compiled DAG.
 * @param weightOf - weight of a node in ms.
 * @returns `remainingPathMs` (null-prototype record) and `criticalPath` (`{ nodes: [], weightMs: 0 }` when empty).
 * @throws RangeError when a weight is negative, NaN or infinite.
 */
export function longestPaths(
  graph: PathGraph,
  weightOf: (id: string) => number,
): { remainingPathMs: Record<string, number>; criticalPath: CriticalPath } {
  const remaining: Record<string, number> = Object.create(null);
  for (let k = graph.order.length - 1; k >= 0; k--) {
    const id = graph.order[k]!;
    const w = weightOf(id);
    if (!Number.isFinite(w) || w < 0)
      throw new RangeError(`weight of node "${id}" must be a finite number >= 0, got ${w}`);
    let best = 0;
    for (const d of graph.dependents[id]!) best = Math.max(best, remaining[d]!);
    remaining[id] = w + best;
  }

  let cur: string | undefined;
  let max = -1;
  for (const id of graph.order) {
    if (remaining[id]! > max) {
      max = remaining[id]!;
      cur = id;
    }
  }
  const nodes: string[] = [];
  while (cur !== undefined) {
    nodes.push(cur);
    let next: string | undefined;
    let nextMax = -1;
    for (const d of graph.dependents[cur]!) {
      if (remaining[d]! > nextMax) {
        nextMax = remaining[d]!;
        next = d;
      }
    }
    cur = next;
  }
  return { remainingPathMs: remaining, criticalPath: { nodes, weightMs: Math.max(max, 0) } };
}

/**
 * Recomputes the critical path from measured (or estimated) durations, e.g. for run progress.
 *
 * @param dag - a compiled DAG.
 * @param durationsMs - id -> duration in ms; nodes missing here keep the weight the DAG was compiled with
 *   (`dag.weightMs`), so callers can mix measured durations with estimates for nodes still running.
 * @returns the longest chain and its total duration in ms.
 * @throws RangeError when a duration is negative, NaN or infinite.
 */
export function criticalPathOf(dag: CompiledDag, durationsMs: Readonly<Record<string, number>>): CriticalPath {
  const weightOf = (id: string): number => (Object.hasOwn(durationsMs, id) ? durationsMs[id]! : dag.weightMs[id]!);
  return longestPaths(dag, weightOf).criticalPath;
}
