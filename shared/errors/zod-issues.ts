/**
 * Turns zod validation issues into problem-details field errors (RFC 9457 `errors` with RFC 6901 pointers).
 */
import type { z } from "zod";
import { pointer } from "./json-pointer.js";
import type { ProblemFieldError } from "./problem.js";

/**
 * Converts a ZodError into field errors: one per issue, except `unrecognized_keys`, which yields one per unknown
 * key with the pointer naming that key. The pointer is `basePointer` + the issue path (RFC 6901 escaped).
 *
 * @param error - a zod error (from `safeParse`).
 * @param basePointer - pointer to the validated value inside the request body, e.g. `"/workflow"`; default `""`.
 * @param nodeOf - optional: maps an issue path (relative to the validated value) to the workflow node id it
 *   concerns, which becomes the field error's `node`.
 * @returns field errors in zod's issue order.
 */
export function zodIssuesToFieldErrors(
  error: z.ZodError,
  basePointer = "",
  nodeOf?: (path: readonly PropertyKey[]) => string | undefined,
): ProblemFieldError[] {
  const out: ProblemFieldError[] = [];
  const push = (path: readonly PropertyKey[], detail: string): void => {
    const node = nodeOf?.(path);
    out.push(
      node === undefined
        ? { pointer: pointer(path, basePointer), detail }
        : { pointer: pointer(path, basePointer), node, detail },
    );
  };
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) push([...issue.path, key], `Unrecognized key "${key}"`);
      continue;
    }
    push(issue.path, issue.message);
  }
  return out;
}
