/**
 * Redis keys of one tenant's registry. Every key of a tenant shares the hash tag `{reg:<tenant>}`, so one Lua script
 * may touch a name's entry, the tenant's name index and its byte counter (lua/registry.ts).
 */

/** What a registry holds: workflow definitions (`/v1/workflows`) or agent profiles (`/v1/agents`). */
export type RegistryKind = "workflow" | "agent";

/** The keys of one tenant and kind. */
export interface RegistryKeys {
  /** Sorted set of the tenant's names of this kind, all with score 0, so ZRANGE lists them by name. */
  names: string;
  /** Counter: bytes of every kept version of this kind (capped by registry-limits.ts MAX_REGISTRY_BYTES). */
  bytes: string;
  /** Hash of one name: `next` (last version number given), `latest` (`<version>|<hash>|<createdAt ms>`), `summary`
   * (JSON shown by the listing), `v:<n>` (definition JSON of version n) and `m:<n>` (`<hash>|<createdAt ms>`). */
  entry(name: string): string;
}

/**
 * Builds the keys of `tenant`'s registry of `kind` under `prefix` (config `KEY_PREFIX`), e.g.
 * `ad:{reg:acme}:workflow:names`, `ad:{reg:acme}:workflow:bytes`, `ad:{reg:acme}:workflow:e:review`.
 */
export function registryKeys(prefix: string, tenant: string, kind: RegistryKind): RegistryKeys {
  const base = `${prefix}:{reg:${tenant}}:${kind}`;
  return { names: `${base}:names`, bytes: `${base}:bytes`, entry: (name) => `${base}:e:${name}` };
}
