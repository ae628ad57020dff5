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
 */
export type CompiledDag = {
  /** Node ids in input order. */
  ids: string[];
  /** A topological order (dependencies before dependents): the levels concatenated. */
  order: string[];
  /** `levels[k]` holds the nodes of level `k + 1`, in input order. Level 1 = roots; a node's level is 1 + the
   * largest level of its dependencies (the longest path, in nodes, from a root). */
  levels: string[][];
  /** id -> 1-based level. */
  levelOf: Record<string, number>;
  /** id -> distinct dependency ids (input order, duplicates collapsed). */
  dependencies: Record<string, string[]>;
  /** id -> ids of the nodes that depend on it (input order). */
  dependents: Record<string, string[]>;
  /** id -> number of distinct dependencies (what must complete before the node is ready). */
  pendingCounts: Record<string, number>;
  /** Nodes with no dependencies, in input order. */
  roots: string[];
  /** Nodes with no dependents, in input order. */
  sinks: string[];
  /** id -> weight used for the metrics below (ms; 1 when the input gave none). */
  weightMs: Record<string, number>;
  /** id -> largest total weight of a path from this node (included) to a sink, ms: dispatch the ready node with
   * the largest value first (longest-remaining-path priority). */
  remainingPathMs: Record<string, number>;
  /** The longest weighted chain (root to sink). */
  criticalPath: CriticalPath;
  /** Sum of all weights, ms. */
  totalWeightMs: number;
  /** `totalWeightMs / criticalPath.weightMs` (1 when the critical path weighs 0). */
  estimatedParallelism: number;
  /** Node count of the largest level. */
  maxWidth: number;
  /** Number of distinct dependency edges. */
  edgeCount: number;
};
