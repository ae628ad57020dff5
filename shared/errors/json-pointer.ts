/**
 * JSON Pointers (RFC 6901) for naming the offending field of a request body in problem details.
 *
 * Source: RFC 6901 §3 ("~" is written "~0" and "/" is written "~1" inside a reference token).
 */

/**
 * Escapes one reference token of a JSON Pointer (RFC 6901 §3): `~` -> `~0`, `/` -> `~1`.
 *
 * @param token - an object key or array index.
 * @returns the escaped token, e.g. `"a/b"` -> `"a~1b"`.
 */
export function escapePointerToken(token: PropertyKey): string {
  const text = typeof token === "symbol" ? (token.description ?? "") : String(token);
  return text.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * Builds a JSON Pointer (RFC 6901) from path segments, appended to a base pointer.
 *
 * @param segments - keys and array indexes from the document root (or from `base`), e.g. `["nodes", 3, "id"]`.
 * @param base - a pointer to prefix, e.g. `"/workflow"`; `""` (the default) is the whole document.
 * @returns e.g. `pointer(["nodes", 3, "dependsOn", 0], "/workflow")` -> `"/workflow/nodes/3/dependsOn/0"`.
 */
export function pointer(segments: readonly PropertyKey[], base = ""): string {
  let out = base;
  for (const segment of segments) out += `/${escapePointerToken(segment)}`;
  return out;
}
