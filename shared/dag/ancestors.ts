/**
 * Ancestor queries over a compiled DAG (used by validation: a prompt may only read the output of an ancestor).
 *
 * The transitive closure is built once per DAG on first use, as one bitset per node (V × V bits: 125 KB for
 * 1,000 nodes) in O(E × V / 32), and cached in a WeakMap keyed by the DAG object. Queries are then O(1).
 */
import type { CompiledDag } from "./types.js";

type Closure = { pos: Map<string, number>; words: number; bits: Uint32Array };

const closures = new WeakMap<CompiledDag, Closure>();

function closureOf(dag: CompiledDag): Closure {
  const cached = closures.get(dag);
  if (cached) return cached;
  const n = dag.order.length;
  const words = Math.ceil(n / 32);
  const bits = new Uint32Array(n * words);
  const pos = new Map<string, number>();
  dag.order.forEach((id, p) => {
    pos.set(id, p);
  });
  // `order` is topological: every dependency's row is final before it is merged into a dependent's row.
  for (let p = 0; p < n; p++) {
    const row = p * words;
    for (const dep of dag.dependencies[dag.order[p]!]!) {
      const q = pos.get(dep)!;
      const depRow = q * words;
      for (let w = 0; w < words; w++) bits[row + w]! |= bits[depRow + w]!;
      bits[row + (q >>> 5)]! |= 1 << (q & 31);
    }
  }
  const closure = { pos, words, bits };
  closures.set(dag, closure);
  return closure;
}

/**
 * Whether `ancestorId` is a (transitive) dependency of `id`. A node is not its own ancestor.
 *
 * @returns false when either id is not in the DAG.
 */
export function isAncestor(dag: CompiledDag, ancestorId: string, id: string): boolean {
  const { pos, words, bits } = closureOf(dag);
  const a = pos.get(ancestorId);
  const b = pos.get(id);
  if (a === undefined || b === undefined) return false;
  return ((bits[b * words + (a >>> 5)]! >>> (a & 31)) & 1) === 1;
}

/**
 * All (transitive) dependencies of a node, in the DAG's topological `order`.
 *
 * @throws RangeError when `id` is not in the DAG.
 */
export function ancestorsOf(dag: CompiledDag, id: string): string[] {
  const { pos, words, bits } = closureOf(dag);
  const b = pos.get(id);
  if (b === undefined) throw new RangeError(`unknown node "${id}"`);
  const out: string[] = [];
  for (let a = 0; a < dag.order.length; a++) {
    if ((bits[b * words + (a >>> 5)]! >>> (a & 31)) & 1) out.push(dag.order[a]!);
  }
  return out;
}
