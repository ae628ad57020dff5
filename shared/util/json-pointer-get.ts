/**
 * Evaluating JSON Pointers (RFC 6901) against a parsed JSON value: what a webhook's input mapping reads from the
 * payload. (shared/errors/json-pointer.ts builds pointers; this reads through them.)
 */

/** A syntactically valid pointer: `""` (the whole value) or `/`-separated tokens where `~` is only `~0` or `~1` (§3). */
export const JSON_POINTER_RE = /^(\/([^~/]|~[01])*)*$/;

/** Outcome of {@link readPointer}: the value found, or where the walk stopped. */
export type PointerRead = { found: true; value: unknown } | { found: false; missing: string };

/**
 * Reads the value `pointer` names in `doc` (RFC 6901 §4: tokens unescaped `~1` → `/` then `~0` → `~`; an array
 * token must be `0` or a decimal without leading zeros, `-` never names an element).
 * @param pointer a pointer matching {@link JSON_POINTER_RE}.
 * @returns `{ found: false, missing }` naming the longest prefix that does not exist.
 */
export function readPointer(doc: unknown, pointer: string): PointerRead {
  if (pointer === "") return { found: true, value: doc };
  let at: unknown = doc;
  let walked = "";
  for (const escaped of pointer.slice(1).split("/")) {
    walked += `/${escaped}`;
    const token = escaped.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(at)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= at.length) return { found: false, missing: walked };
      at = at[Number(token)];
    } else if (at !== null && typeof at === "object" && Object.hasOwn(at, token)) {
      at = (at as Record<string, unknown>)[token];
    } else {
      return { found: false, missing: walked };
    }
  }
  return { found: true, value: at };
}
