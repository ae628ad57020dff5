/**
 * Cache counters: what counts, where it is kept, and how rates are derived.
 *
 * Outcomes, one per cacheable node execution that ends in an output:
 * - `hit`: served from an entry that already existed when the node first looked: no provider call, no tokens, no
 *   budget reservation;
 * - `shared`: served from an entry written by a call that was in flight when the node first looked: the node
 *   waited on another node's call (same run or another) instead of making its own. Also no call, tokens or budget;
 * - `miss`: the node made the provider call itself (and wrote the entry).
 * A node with `cache: false` records nothing. `CacheStore.lookupOrLock` tells `hit` from `shared` by a waiter mark
 * (cache-store.ts).
 *
 * Kept in one hash per tenant, `<prefix>:{cache:<tenant>}:stats` (keys.ts), with the fields `hits`, `misses`,
 * `shared`, `savedTokens`, `savedMicroUsd` for the tenant and the same five as `wf:<workflow>:<field>` per workflow;
 * all updated together by one script (lua/record.ts). Savings are what the producing call cost (entry.ts
 * `savingOf`), counted for `hit` and `shared`.
 */
import { microUsdToUsd } from "../budget/units.js";

/** How a cacheable node got its output (see the module comment). */
export type CacheOutcome = "hit" | "shared" | "miss";

/** The counter field of each outcome. */
export const OUTCOME_FIELDS: Readonly<Record<CacheOutcome, "hits" | "shared" | "misses">> = {
  hit: "hits",
  shared: "shared",
  miss: "misses",
};

/** The five counter fields, as kept for the tenant and (prefixed `wf:<workflow>:`) per workflow. */
export const STATS_FIELDS = ["hits", "misses", "shared", "savedTokens", "savedMicroUsd"] as const;

/** Lifetime of a tenant's stats hash after its last write, seconds (90 days). */
export const STATS_TTL_SECONDS = 90 * 24 * 3600;

/** Counters of one scope (tenant or workflow) with derived figures. */
export interface CacheCounts {
  hits: number;
  misses: number;
  shared: number;
  /** hits + shared + misses. */
  lookups: number;
  /** (hits + shared) / lookups, 0..1; null before the first lookup. */
  hitRate: number | null;
  /** Tokens not spent thanks to hits and shared calls. */
  savedTokens: number;
  /** USD not spent, as integer micro-USD (1e-6 USD). */
  savedMicroUsd: number;
  /** USD not spent (savedMicroUsd / 1e6). */
  savedUsd: number;
}

/** Stats of a tenant (or of one workflow of it): the totals and the counters of each workflow. */
export interface CacheStats extends CacheCounts {
  byWorkflow: Record<string, CacheCounts>;
}

/**
 * Derives {@link CacheCounts} from raw counters (missing = 0).
 */
export function countsOf(raw: Partial<Record<(typeof STATS_FIELDS)[number], number>>): CacheCounts {
  const hits = raw.hits ?? 0;
  const misses = raw.misses ?? 0;
  const shared = raw.shared ?? 0;
  const savedMicroUsd = raw.savedMicroUsd ?? 0;
  const lookups = hits + shared + misses;
  return {
    hits,
    misses,
    shared,
    lookups,
    hitRate: lookups === 0 ? null : (hits + shared) / lookups,
    savedTokens: raw.savedTokens ?? 0,
    savedMicroUsd,
    savedUsd: microUsdToUsd(savedMicroUsd),
  };
}

/**
 * Builds {@link CacheStats} from the fields of a tenant's stats hash.
 * @param hash field -> value as read from Redis (values are decimal integers; others count as 0).
 * @param workflow when given, the totals are this workflow's and `byWorkflow` holds only it; otherwise the totals
 *   are the tenant's and `byWorkflow` holds every workflow with a counter.
 */
export function statsFromHash(hash: Readonly<Record<string, string>>, workflow?: string): CacheStats {
  const byWorkflow: Record<string, Partial<Record<(typeof STATS_FIELDS)[number], number>>> = {};
  const tenant: Partial<Record<(typeof STATS_FIELDS)[number], number>> = {};
  for (const [field, value] of Object.entries(hash)) {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) continue;
    const m = /^wf:([^:]+):([A-Za-z]+)$/.exec(field);
    if (m) {
      const [, name, counter] = m as unknown as [string, string, string];
      if (!isStatsField(counter) || (workflow !== undefined && name !== workflow)) continue;
      (byWorkflow[name] ??= {})[counter] = n;
    } else if (isStatsField(field)) {
      tenant[field] = n;
    }
  }
  const workflows = Object.fromEntries(Object.entries(byWorkflow).map(([name, raw]) => [name, countsOf(raw)]));
  if (workflow !== undefined) {
    const own = workflows[workflow] ?? countsOf({});
    return { ...own, byWorkflow: { [workflow]: own } };
  }
  return { ...countsOf(tenant), byWorkflow: workflows };
}

function isStatsField(f: string): f is (typeof STATS_FIELDS)[number] {
  return (STATS_FIELDS as readonly string[]).includes(f);
}
