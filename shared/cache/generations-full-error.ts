/**
 * The error `CacheStore.invalidate` raises when an invalidation would add a field to a tenant's generations hash that
 * is already full (generations.ts `MAX_GENERATION_FIELDS`). The cache routes answer it 409 `cache-invalidation-limit`.
 */
export class GenerationsFullError extends Error {
  override readonly name = "GenerationsFullError";

  /**
   * @param field the generation field that was refused (`wf:…`, `node:…` or `tag:…`).
   * @param fields how many fields the hash holds.
   */
  constructor(
    readonly field: string,
    readonly fields: number,
  ) {
    super(
      `the tenant's cache has ${fields} invalidation selectors, its limit: ${field} was never invalidated and cannot ` +
        "be added; invalidate a selector already used, the whole workflow if it was, or everything (all=true)",
    );
  }
}
