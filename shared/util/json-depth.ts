/**
 * How deeply a parsed JSON value nests, checked without recursion.
 *
 * `JSON.parse` accepts any depth (V8's parser keeps its own stack), but every recursive walk after it does not:
 * `JSON.stringify` (canonical JSON for fingerprints and cache keys, shared/util/hash.ts) overflows the call stack
 * on a 400,000-level array, which a 1 MiB body can hold. So request bodies are refused past a fixed depth before
 * anything recursive sees them.
 */
import { pointer } from "../errors/json-pointer.js";
import { invalidRequest, ProblemError } from "../errors/problem.js";

/**
 * Most levels of arrays and objects a request body may nest, the body itself being level 1. 64 is far beyond any
 * workflow definition or run input in practice (a workflow's own structure is about 6 levels), and far below the
 * depth at which `JSON.stringify` overflows the stack (about 9,000 levels in workerd and Node 22).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The path to the first array or object nested deeper than `maxDepth` (depth-first, in document order), or null
 * when there is none. Iterative: it never overflows the stack whatever the depth. Reaches at most `maxDepth + 1`
 * levels.
 * @param value a parsed JSON value (no cycles).
 * @returns path segments from the root (object keys and array indexes), e.g. `["input", "a", 0]`, for use as a
 *   JSON Pointer (shared/errors/json-pointer.ts).
 */
export function pathDeeperThan(value: unknown, maxDepth: number = MAX_JSON_DEPTH): (string | number)[] | null {
  // each frame: a container at `depth` (1-based), its key and its parent's frame (the path is built only for the
  // answer, so a wide body never holds a copy of the path per container)
  type Frame = { value: object; depth: number; key: string | number; parent: Frame | null };
  if (value === null || typeof value !== "object") return null;
  const stack: Frame[] = [{ value, depth: 1, key: "", parent: null }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.depth > maxDepth) {
      const path: (string | number)[] = [];
      for (let f: Frame | null = frame; f?.parent; f = f.parent) path.unshift(f.key);
      return path;
    }
    const children: [string | number, unknown][] = Array.isArray(frame.value)
      ? frame.value.map((v, i) => [i, v])
      : Object.entries(frame.value);
    // pushed in reverse so the first child is looked at first (document order)
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i] as [string | number, unknown];
      if (child !== null && typeof child === "object")
        stack.push({ value: child, depth: frame.depth + 1, key, parent: frame });
    }
  }
  return null;
}

/**
 * Refuses a request body nested deeper than {@link MAX_JSON_DEPTH}.
 * @param raw the parsed body.
 * @throws ProblemError 422 `invalid-request` whose `errors[0].pointer` is the first container too deep (JSON
 *   Pointer into the body, e.g. `/input/a/a/…`).
 */
export function assertJsonDepth(raw: unknown): void {
  const path = pathDeeperThan(raw, MAX_JSON_DEPTH);
  if (path === null) return;
  const detail = `nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`;
  throw new ProblemError(
    invalidRequest(`The request body is ${detail}`, { errors: [{ pointer: pointer(path), detail }] }),
  );
}
