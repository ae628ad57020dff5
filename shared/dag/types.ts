/**
 * Shapes shared by the DAG compiler and its helpers. The compiler is pure: it sees only ids, dependencies and
 * optional weights, never prompts or agents.
 */

/**
 * One node as the compiler sees it.
 * - `id`: unique node id.
 * - `dependsOn`: ids of the nodes that must finish first (duplicates allowed and collapsed).
 * - `weightMs`: estimated duration in ms (finite, >= 0) used for critical-path metrics; default 1, so that
 *   weighted path lengths equal path lengths in nodes.
 */
export type DagNodeInput = { id: string; dependsOn: readonly string[]; weightMs?: number };

/** A longest weighted chain: its node ids from a root to a sink, and its total weight in ms. */
export type CriticalPath = { nodes: string[]; weightMs: number };

/**
 * A compiled DAG: plain data (JSON- and structured-clone-safe). Every `Record` is keyed by node id and has a null
 * prototype, so ids like `"constructor"` are safe keys. Orders are deterministic: ties follow input order.
 *
 * - `ids`: node ids in input order.
 * - `order`: a topological order (dependencies before dependents): the levels concatenated.
 * - `levels`: `levels[k]` holds the nodes of level `k + 1`, in input order. Level 1 = roots; a node's level is
 *   1 + the largest level of its dependencies (the longest path, in nodes, from a root).
 * - `levelOf`: id -> 1-based level.
 * - `dependencies`: id -> distinct dependency ids (input order, duplicates collapsed).
 * - `dependents`: id -> ids of the nodes that depend on it (input order).
 * - `pendingCounts`: id -> number of distinct dependencies (what must complete before the node is ready).
 * - `roots` / `sinks`: nodes with no dependencies / no dependents, in input order.
 * - `weightMs`: id -> weight used for the metrics below (ms; 1 when the input gave none).
 * - `remainingPathMs`: id -> largest total weight of a path from this node (included) to a sink: dispatch the
 *   ready node with the largest value first (longest-remaining-path priority).
 * - `criticalPath`: the longest weighted chain (root to sink).
 * - `totalWeightMs`: sum of all weights (ms).
 * - `estimatedParallelism`: `totalWeightMs / criticalPath.weightMs` (1 when the critical path weighs 0).
 * - `maxWidth`: node count of the largest level.
 * - `edgeCount`: number of distinct dependency edges.
 */
export type CompiledDag = {
  ids: string[];
  order: string[];
  levels: string[][];
  levelOf: Record<string, number>;
  dependencies: Record<string, string[]>;
  dependents: Record<string, string[]>;
  pendingCounts: Record<string, number>;
  roots: string[];
  sinks: string[];
  weightMs: Record<string, number>;
  remainingPathMs: Record<string, number>;
  criticalPath: CriticalPath;
  totalWeightMs: number;
  estimatedParallelism: number;
  maxWidth: number;
  edgeCount: number;
};
