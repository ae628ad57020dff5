/**
 * Redis key layout of the result cache.
 *
 * Every cache key of a tenant shares the hash tag `{cache:<tenant>}`, so a clustered Redis keeps them in one slot
 * and one Lua script may touch an entry, its lock and its waiter marks together:
 *
 * - `<prefix>:{cache:<tenant>}:e:<hash>` (string, TTL = the node's `cacheTtl`): the entry, JSON (entry-codec.ts);
 * - `<prefix>:{cache:<tenant>}:lock:<hash>` (string, PX = lockMs): the holder id of the call in flight;
 * - `<prefix>:{cache:<tenant>}:wait:<hash>` (hash holderId -> "1", PX): nodes that found the call in flight and
 *   wait for it, so that their later hit counts as `shared` (cache-store.ts);
 * - `<prefix>:{cache:<tenant>}:gen` (hash, no TTL): invalidation generations (generations.ts);
 * - `<prefix>:{cache:<tenant>}:stats` (hash, refreshed TTL): hit, miss and saving counters (stats.ts).
 *
 * `<hash>` is the cache key of key-material.ts (64 lowercase hex). The tenant is in the path as well as in the
 * hashed key material, so one tenant can never address another's entries, whatever the hash.
 */

/** A cache key: SHA-256 of the key material as 64 lowercase hex characters. */
const CACHE_KEY_RE = /^[0-9a-f]{64}$/;

/** The keys of one tenant's cache. */
export interface TenantCacheKeys {
  /** `<prefix>:{cache:<tenant>}`, the common base. */
  base: string;
  /** Hash of invalidation generations (generations.ts). */
  gen: string;
  /** Hash of counters (stats.ts). */
  stats: string;
  /** Entry key of cache key `hash`. @throws RangeError unless `hash` is 64 lowercase hex. */
  entry(hash: string): string;
  /** In-flight lock key of cache key `hash`. @throws RangeError unless `hash` is 64 lowercase hex. */
  lock(hash: string): string;
  /** Waiter marks of cache key `hash`. @throws RangeError unless `hash` is 64 lowercase hex. */
  waiters(hash: string): string;
}

/**
 * The cache keys of `tenant` under `prefix`.
 * @param prefix key prefix (config `KEY_PREFIX`).
 * @param tenant tenant id (the owner of the API key).
 * @throws RangeError when the tenant is empty or contains `{` or `}` (it would break the hash tag).
 */
export function tenantCacheKeys(prefix: string, tenant: string): TenantCacheKeys {
  const base = `${prefix}:{cache:${checkTenant(tenant)}}`;
  return {
    base,
    gen: `${base}:gen`,
    stats: `${base}:stats`,
    entry: (hash) => `${base}:e:${checkHash(hash)}`,
    lock: (hash) => `${base}:lock:${checkHash(hash)}`,
    waiters: (hash) => `${base}:wait:${checkHash(hash)}`,
  };
}

/**
 * Checks a tenant id for use in a key path.
 * @returns the tenant unchanged.
 * @throws RangeError when it is empty or contains `{` or `}`.
 */
export function checkTenant(tenant: string): string {
  if (tenant === "" || /[{}]/.test(tenant)) throw new RangeError(`Expected a tenant without { or }, got "${tenant}"`);
  return tenant;
}

/**
 * Checks a cache key (64 lowercase hex, from {@link computeCacheKey} in key-material.ts).
 * @returns the key unchanged.
 * @throws RangeError otherwise.
 */
export function checkHash(hash: string): string {
  if (!CACHE_KEY_RE.test(hash))
    throw new RangeError(`Expected a cache key of 64 lowercase hex characters, got "${hash}"`);
  return hash;
}
