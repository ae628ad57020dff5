/**
 * Levels of a DAG: level 1 holds the roots; a node's level is 1 + the largest level of its dependencies, i.e.
 * the longest path (in nodes) from a root. Progress is grouped by level ("Level 1: 5 agents"). O(V + E).
 */

/**
 * Assigns 1-based levels and groups nodes by level.
 *
 * @param topo - node indices in a topological order (dependencies first).
 * @param depsOf - `depsOf[i]`: dependency indices of node i.
 * @param n - size of the index space (nodes absent from `topo` get level 0 and no group).
 * @returns `levelOf[i]` (1-based) and `groups[k]`: indices of level k + 1 sorted ascending (input order).
 */
export function computeLevels(
  topo: readonly number[],
  depsOf: readonly (readonly number[])[],
  n: number,
): { levelOf: Int32Array; groups: number[][] } {
  const levelOf = new Int32Array(n);
  const groups: number[][] = [];
  for (const i of topo) {
    let level = 1;
    for (const d of depsOf[i]!) level = Math.max(level, levelOf[d]! + 1);
    levelOf[i] = level;
    (groups[level - 1] ??= []).push(i);
  }
  for (const g of groups) g.sort((a, b) => a - b);
  return { levelOf, groups };
}
