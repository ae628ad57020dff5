/**
 * The DAG compiler: turns a node list into the plain-data {@link CompiledDag} the engine runs from (levels,
 * dependents, pending counts, critical path, longest-remaining-path priorities). Pure and O(V + E).
 */
import { longestPaths } from "./critical-path.js";
import { DagError } from "./dag-error.js";
import { analyzeGraph } from "./graph.js";
import { computeLevels } from "./levels.js";
import type { CompiledDag, DagNodeInput } from "./types.js";

/** Re-exported: recompute the critical path from measured durations (defined in critical-path.ts). */
export { criticalPathOf } from "./critical-path.js";
/** Re-exported: the error compileDag throws and its issue shape (defined in dag-error.ts). */
export { DagError, type DagErrorCode, type DagIssue } from "./dag-error.js";
/** Re-exported so callers can import the compiler's types from one place (defined in types.ts). */
export type { CompiledDag, CriticalPath, DagNodeInput } from "./types.js";

/** Weight (ms) of a node whose input gives no `weightMs`. */
export const DEFAULT_WEIGHT_MS = 1;

/**
 * Compiles a node list into a {@link CompiledDag}.
 *
 * @param nodes - ids, dependencies (duplicates collapsed) and optional weights in ms (default 1).
 * @returns the compiled DAG; see {@link CompiledDag} for each field.
 * @throws DagError for the first graph problem: `duplicate-id`, `unknown-dependency`, `self-dependency`, or
 *   `cycle` (with `path`, each id depending on the next, e.g. `["a","b","a"]`). Use `analyzeGraph` (graph.ts)
 *   to get every problem instead.
 * @throws RangeError when a `weightMs` is negative, NaN or infinite.
 */
export function compileDag(nodes: readonly DagNodeInput[]): CompiledDag {
  const analysis = analyzeGraph(nodes);
  const firstIssue = analysis.issues[0];
  if (firstIssue) throw new DagError(firstIssue);

  const n = nodes.length;
  const { depsOf, topo } = analysis;
  const { levelOf: levelIdx, groups } = computeLevels(topo, depsOf, n);

  const ids = nodes.map((node) => node.id);
  const levels = groups.map((g) => g.map((i) => ids[i]!));
  const order = levels.flat();

  const levelOf: Record<string, number> = Object.create(null);
  const dependencies: Record<string, string[]> = Object.create(null);
  const dependents: Record<string, string[]> = Object.create(null);
  const pendingCounts: Record<string, number> = Object.create(null);
  const weightMs: Record<string, number> = Object.create(null);
  let edgeCount = 0;
  let totalWeightMs = 0;

  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    const w = nodes[i]!.weightMs ?? DEFAULT_WEIGHT_MS;
    if (!Number.isFinite(w) || w < 0)
      throw new RangeError(`weightMs of node "${id}" must be a finite number >= 0, got ${w}`);
    levelOf[id] = levelIdx[i]!;
    dependencies[id] = depsOf[i]!.map((d) => ids[d]!);
    dependents[id] = [];
    pendingCounts[id] = depsOf[i]!.length;
    weightMs[id] = w;
    edgeCount += depsOf[i]!.length;
    totalWeightMs += w;
  }
  // Dependents in input order of the dependent node.
  for (let i = 0; i < n; i++) for (const d of depsOf[i]!) dependents[ids[d]!]!.push(ids[i]!);

  const roots = ids.filter((id) => pendingCounts[id] === 0);
  const sinks = ids.filter((id) => dependents[id]!.length === 0);
  const { remainingPathMs, criticalPath } = longestPaths({ order, dependents }, (id) => weightMs[id]!);

  return {
    ids,
    order,
    levels,
    levelOf,
    dependencies,
    dependents,
    pendingCounts,
    roots,
    sinks,
    weightMs,
    remainingPathMs,
    criticalPath,
    totalWeightMs,
    estimatedParallelism: criticalPath.weightMs > 0 ? totalWeightMs / criticalPath.weightMs : 1,
    maxWidth: levels.reduce((m, l) => Math.max(m, l.length), 0),
    edgeCount,
  };
}
