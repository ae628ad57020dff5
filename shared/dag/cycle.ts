/**
 * Cycle finding for nodes a topological sort could not place. Works on dense integer indices.
 *
 * Strongly connected components by Tarjan's algorithm (iterative, O(V+E)); in each component of two or more
 * nodes, the shortest cycle through its lowest-index node by breadth-first search (O(V+E) per component).
 */

/**
 * Finds one cycle per non-trivial strongly connected component among `candidates`.
 *
 * @param candidates - node indices to consider (edges to other nodes are ignored).
 * @param depsOf - `depsOf[i]`: dependency indices of node i (no self-loops, no duplicates).
 * @returns cycles as index lists `[s, x, …, s]`, each node depending on the next, `s` the lowest index of its
 *   component; ordered by `s`. Empty when the candidates hold no cycle.
 */
export function findCycles(candidates: readonly number[], depsOf: readonly (readonly number[])[]): number[][] {
  const n = depsOf.length;
  const inSet = new Uint8Array(n);
  for (const c of candidates) inSet[c] = 1;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;

  for (const start of candidates) {
    if (index[start] !== -1) continue;
    // Explicit DFS stack of [node, next edge position].
    const work: [number, number][] = [[start, 0]];
    index[start] = low[start] = counter++;
    stack.push(start);
    onStack[start] = 1;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const v = frame[0];
      const edges = depsOf[v]!;
      if (frame[1] < edges.length) {
        const w = edges[frame[1]++]!;
        if (!inSet[w]) continue;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        if (component.length > 1) components.push(component);
      }
    }
  }

  const cycles = components.map((component) => shortestCycleThrough(Math.min(...component), component, depsOf));
  cycles.sort((a, b) => a[0]! - b[0]!);
  return cycles;
}

/** Shortest cycle `[s, …, s]` through `s` inside `component` (which is strongly connected and contains s). */
function shortestCycleThrough(
  s: number,
  component: readonly number[],
  depsOf: readonly (readonly number[])[],
): number[] {
  const inComponent = new Set(component);
  const prev = new Map<number, number>();
  const queue: number[] = [s];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of depsOf[v]!) {
      if (!inComponent.has(w)) continue;
      if (w === s) {
        const path = [s];
        for (let x = v; x !== s; x = prev.get(x)!) path.push(x);
        path.push(s);
        // path is s, v, …, first hop, s read backwards: reverse the middle to follow the dependsOn direction.
        const middle = path.slice(1, -1).reverse();
        return [s, ...middle, s];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error("unreachable: component is not strongly connected");
}
