import type { Redis } from "@upstash/redis";
import { parseMapChildId } from "../dag/map-refs.js";
import { NODE_ID_RE, WORKFLOW_NAME_RE } from "../schema/workflow.js";
import { hmgetValues } from "../util/hmget-values.js";
import { LuaScripts } from "../util/lua-scripts.js";
import { type CacheEntry, type CacheSaving, decodeEntry, encodeEntry } from "./entry.js";
import {
  type GenerationVector,
  type InvalidationSelector,
  MAX_GENERATION_FIELDS,
  nodeGenerationFields,
  selectorField,
} from "./generations.js";
import { GenerationsFullError } from "./generations-full-error.js";
import { type TenantCacheKeys, tenantCacheKeys } from "./keys.js";
import { BUMP_GENERATION_LUA } from "./lua/bump-generation.js";
import { LOOKUP_OR_LOCK_LUA } from "./lua/lookup-or-lock.js";
import { PUT_ENTRY_LUA } from "./lua/put-entry.js";
import { RECORD_OUTCOME_LUA } from "./lua/record-outcome.js";
import { RELEASE_LOCK_LUA } from "./lua/release-lock.js";
import { type CacheOutcome, type CacheStats, OUTCOME_FIELDS, STATS_TTL_SECONDS, statsFromHash } from "./stats.js";

/** The slice of the Upstash Redis client the cache store uses (created with `automaticDeserialization: false`). */
export type CacheRedis = Pick<Redis, "createScript" | "get" | "del" | "hmget" | "hincrby" | "hgetall">;

/** Shortest wait a refused lock asks for, ms (200 ms): retries sooner would mostly find the lock still held. */
export const DEFAULT_RETRY_MIN_MS = 200;

/**
 * Longest wait a refused lock asks for, ms (2 s): the holder may finish long before its lock would expire, so the
 * waiter looks again at least this often.
 */
export const DEFAULT_RETRY_CAP_MS = 2000;

/**
 * How long a waiter mark outlives the lock it waited on, ms (10 min): room for the waiter's redelivery (QStash
 * delay and retries) to come back and find the entry. A waiter that comes back later counts as `hit`, not `shared`.
 */
export const DEFAULT_WAITER_GRACE_MS = 10 * 60 * 1000;

/** Options of {@link CacheStore}. */
export interface CacheStoreOptions {
  /** See {@link DEFAULT_RETRY_MIN_MS}; ms, integer >= 0. */
  retryMinMs?: number;
  /** See {@link DEFAULT_RETRY_CAP_MS}; ms, integer >= retryMinMs. */
  retryCapMs?: number;
  /** See {@link DEFAULT_WAITER_GRACE_MS}; ms, integer >= 0. */
  waiterGraceMs?: number;
  /** Lifetime of a tenant's stats hash after its last write, s; default {@link STATS_TTL_SECONDS}; 0 = no TTL. */
  statsTtlSeconds?: number;
  /** Most fields of a tenant's generations hash (integer >= 1); default generations.ts `MAX_GENERATION_FIELDS`. */
  maxGenerationFields?: number;
}

/**
 * Outcome of {@link CacheStore.acquire}: the lock is the caller's (`renewed` when it already was: its expiry was
 * reset), or another `holder` has it and the caller should look again after `retryAfterMs` (ms, within
 * [retryMinMs, retryCapMs], never later than the lock expires unless that is sooner than retryMinMs).
 */
export type AcquireResult =
  | { acquired: true; renewed: boolean }
  | { acquired: false; holder: string; retryAfterMs: number };

/**
 * Outcome of {@link CacheStore.lookupOrLock}:
 * - `hit`: an entry exists; `outcome` is `shared` when this holder had found the call in flight on an earlier look
 *   (it waited on another's call), else `hit`. Complete the node from it: no call, no tokens, no budget;
 * - `acquired`: no entry, and the in-flight lock is now the caller's: make the call, then {@link CacheStore.put}
 *   with the holder id (which also releases the lock), or {@link CacheStore.release} if the call fails;
 * - `wait`: another holder's call is in flight: come back after `retryAfterMs` without holding a worker (e.g. a
 *   delayed redelivery) and look again with the same holder id.
 */
export type LookupResult =
  | { kind: "hit"; entry: CacheEntry; outcome: "hit" | "shared" }
  | { kind: "acquired"; renewed: boolean }
  | { kind: "wait"; holder: string; retryAfterMs: number };

/** What {@link CacheStore.invalidate} bumped: the generation field and its new value. */
export interface InvalidationResult {
  /** `*`, `wf:<workflow>`, `node:<workflow>:<nodeId>` or `tag:<tag>` (generations.ts). */
  field: string;
  /** The field's generation after the bump (>= 1). */
  generation: number;
}

/** One outcome for {@link CacheStore.record}. */
export interface CacheRecord {
  /** Workflow name (`/^[a-z0-9][a-z0-9-]{0,63}$/`). */
  workflow: string;
  outcome: CacheOutcome;
  /** What the hit saved (entry.ts `savingOf`); required for `hit` and `shared`, must be absent for `miss`. */
  saving?: CacheSaving | undefined;
}

type Reply = (string | number | null)[];

/**
 * The result cache's storage, per tenant, in Redis:
 * - entries by content key (key-material.ts), each with its own TTL, pointing at output blobs;
 * - an in-flight lock per key, so identical calls running at once (in one run or across runs) make one provider
 *   call: the first caller takes the lock, the others wait for its entry without holding a worker, and a lock whose
 *   holder died expires by PX;
 * - invalidation generations (generations.ts): invalidating is one HINCRBY, no scan;
 * - hit, shared and miss counters with the tokens and USD saved, per tenant and per workflow (stats.ts).
 * Every key lives under the tenant's hash tag (keys.ts); no method reads another tenant's keys. Scripts run through
 * `@upstash/redis` `createScript` (EVALSHA, then EVAL on NOSCRIPT).
 *
 * Engine flow for a cacheable node (`holderId` = `<runId>:<nodeId>`):
 * `readGenerations` → `computeCacheKey` → `lookupOrLock`: `hit` → complete from the entry, `record(hit|shared)`;
 * `acquired` → call, store the output blob, `put(…, holderId)`, `record(miss)`; `wait` → come back later.
 */
export class CacheStore {
  private readonly scripts: LuaScripts<"lookupOrLock" | "release" | "put" | "record" | "bump">;
  private readonly retryMinMs: number;
  private readonly retryCapMs: number;
  private readonly waiterGraceMs: number;
  private readonly statsTtlSeconds: number;
  private readonly maxGenerationFields: number;

  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   * @throws RangeError for negative or non-integer options, or retryCapMs < retryMinMs.
   */
  constructor(
    private readonly redis: CacheRedis,
    private readonly prefix: string,
    options: CacheStoreOptions = {},
  ) {
    this.scripts = new LuaScripts(redis, {
      lookupOrLock: LOOKUP_OR_LOCK_LUA,
      release: RELEASE_LOCK_LUA,
      put: PUT_ENTRY_LUA,
      record: RECORD_OUTCOME_LUA,
      bump: BUMP_GENERATION_LUA,
    });
    this.maxGenerationFields = count("maxGenerationFields", options.maxGenerationFields ?? MAX_GENERATION_FIELDS);
    if (this.maxGenerationFields < 1) throw new RangeError("Expected maxGenerationFields >= 1");
    this.retryMinMs = count("retryMinMs", options.retryMinMs ?? DEFAULT_RETRY_MIN_MS);
    this.retryCapMs = count("retryCapMs", options.retryCapMs ?? DEFAULT_RETRY_CAP_MS);
    if (this.retryCapMs < this.retryMinMs) throw new RangeError("Expected retryCapMs >= retryMinMs");
    this.waiterGraceMs = count("waiterGraceMs", options.waiterGraceMs ?? DEFAULT_WAITER_GRACE_MS);
    this.statsTtlSeconds = count("statsTtlSeconds", options.statsTtlSeconds ?? STATS_TTL_SECONDS);
  }

  /** The tenant's cache keys (keys.ts). @throws RangeError for an empty tenant or one with `{` or `}`. */
  keys(tenant: string): TenantCacheKeys {
    return tenantCacheKeys(this.prefix, tenant);
  }

  /**
   * The invalidation generations that apply to one node (generations.ts), in one HMGET, for its key material.
   * @param tags the node's `cacheTags`.
   * @returns field -> generation (0 for a field never bumped), for `*`, `wf:<workflow>`, `node:<workflow>:<nodeId>`
   *   and each `tag:<tag>`.
   * @throws RangeError for an invalid tenant, workflow name, node id or tag; UpstashError when Redis fails.
   */
  async readGenerations(
    tenant: string,
    workflow: string,
    nodeId: string,
    tags: readonly string[] = [],
  ): Promise<GenerationVector> {
    const fields = nodeGenerationFields(workflow, nodeId, tags);
    const values = hmgetValues(await this.redis.hmget(this.keys(tenant).gen, ...fields), fields);
    return Object.fromEntries(fields.map((f, i) => [f, toCount(values[i])]));
  }

  /**
   * Invalidates the tenant's entries selected by `selector`: bumps one generation field (HINCRBY), so every node it
   * selects computes new keys from now on. Old entries are never read again and expire by their TTL; nothing is
   * scanned or deleted. An in-flight call started before the bump writes its entry under its old key, which no
   * later lookup computes. The tenant's generations hash holds at most `maxGenerationFields` fields (it has no TTL
   * and no field may be removed): a selector never invalidated before is refused once it is full, while `all` and
   * selectors already in it are always accepted (lua/bump-generation.ts).
   * @throws RangeError for an invalid tenant or a name the workflow schema would reject; GenerationsFullError when
   *   the selector is new and the hash is full (nothing changed); UpstashError when Redis fails.
   */
  async invalidate(tenant: string, selector: InvalidationSelector): Promise<InvalidationResult> {
    const field = selectorField(selector);
    const [ok, value] = (await this.scripts.exec(
      "bump",
      [this.keys(tenant).gen],
      [field, String(this.maxGenerationFields)],
    )) as [number, number];
    if (Number(ok) !== 1) throw new GenerationsFullError(field, Number(value));
    return { field, generation: Number(value) };
  }

  /**
   * Reads an entry (a plain read: it does not take or look at locks or waiter marks).
   * @returns the entry, or null when there is none (or it is malformed: treated as a miss).
   * @throws RangeError for an invalid tenant or key; UpstashError when Redis fails.
   */
  async get(tenant: string, key: string): Promise<CacheEntry | null> {
    const raw = await this.redis.get<string>(this.keys(tenant).entry(key));
    return typeof raw === "string" ? decodeEntry(raw) : null;
  }

  /**
   * One round trip before a call: serves the entry if there is one, else takes the in-flight lock, else reports the
   * holder (and marks the caller as a waiter, which turns its later hit into `shared`). See {@link LookupResult}.
   * A malformed stored entry is deleted and the lookup repeated once (it then takes or waits for the lock).
   * @param holderId stable across the caller's redeliveries: `<runId>:<nodeId>` (a retry of a holder that died then
   *   renews its own lock instead of waiting for it to expire).
   * @param lockMs lock lifetime, ms (integer >= 1): the node's timeout plus a margin (policy.ts `lockMsFor`).
   * @throws RangeError for an invalid tenant, key, empty holder id or lockMs; Error when a malformed entry is found
   *   again right after it was deleted; UpstashError when Redis fails.
   */
  async lookupOrLock(tenant: string, key: string, holderId: string, lockMs: number): Promise<LookupResult> {
    for (let attempt = 0; ; attempt++) {
      const [code, a, b] = await this.lockScript(tenant, key, holderId, lockMs, true);
      if (code === 1) {
        const entry = decodeEntry(String(a));
        if (entry) return { kind: "hit", entry, outcome: Number(b) === 1 ? "shared" : "hit" };
        if (attempt > 0) throw new Error(`cache entry ${key} is malformed after eviction`);
        await this.evict(tenant, key);
        continue;
      }
      return code === 2
        ? { kind: "acquired", renewed: Number(b) === 1 }
        : { kind: "wait", holder: String(a), retryAfterMs: this.retryAfter(Number(b)) };
    }
  }

  /**
   * Takes the in-flight lock of `key` (SET NX PX, within a script) without looking at the entry. The holder may
   * take it again (its expiry is reset: `renewed`). A refused caller is marked as a waiter, like
   * {@link lookupOrLock}.
   * @param lockMs lock lifetime, ms (integer >= 1); a holder that dies loses the lock after it.
   * @returns see {@link AcquireResult}; `retryAfterMs` = min(remaining lock time, retryCapMs), at least retryMinMs.
   * @throws RangeError for an invalid tenant, key, empty holder id or lockMs; UpstashError when Redis fails.
   */
  async acquire(tenant: string, key: string, holderId: string, lockMs: number): Promise<AcquireResult> {
    const [code, a, b] = await this.lockScript(tenant, key, holderId, lockMs, false);
    return code === 2
      ? { acquired: true, renewed: Number(b) === 1 }
      : { acquired: false, holder: String(a), retryAfterMs: this.retryAfter(Number(b)) };
  }

  /**
   * Releases the in-flight lock of `key` if `holderId` holds it (compare-and-delete in Lua); another holder's lock is
   * left alone. Use after a failed call; after a successful one, {@link put} with the holder id releases it.
   * @returns true when the caller's lock was released.
   * @throws RangeError for an invalid tenant, key or empty holder id; UpstashError when Redis fails.
   */
  async release(tenant: string, key: string, holderId: string): Promise<boolean> {
    const k = this.keys(tenant);
    const r = await this.scripts.exec("release", [k.lock(key)], [nonEmpty("holder id", holderId)]);
    return Number(r) === 1;
  }

  /**
   * Writes (or overwrites) the entry of `key` with a TTL, and, when `holderId` is given, releases that holder's lock
   * in the same script, so waiters find the entry as soon as the lock is gone.
   * @param ttlSeconds entry lifetime, s (integer >= 1; policy.ts `resolveCachePolicy`). The output blob must live
   *   at least as long, or a hit finds its blob gone (then {@link evict} and treat it as a miss).
   * @returns whether the holder's lock was released.
   * @throws RangeError for an invalid tenant, key, entry or ttlSeconds; UpstashError when Redis fails.
   */
  async put(
    tenant: string,
    key: string,
    entry: CacheEntry,
    ttlSeconds: number,
    holderId?: string,
  ): Promise<{ released: boolean }> {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1)
      throw new RangeError(`Expected ttlSeconds to be an integer >= 1, got ${ttlSeconds}`);
    const k = this.keys(tenant);
    const r = await this.scripts.exec(
      "put",
      [k.entry(key), k.lock(key)],
      [encodeEntry(entry), String(ttlSeconds), holderId ?? ""],
    );
    return { released: Number(r) === 1 };
  }

  /**
   * Deletes the entry of `key` (e.g. when its output blob has expired, so the next lookup makes the call again).
   * @returns whether an entry was deleted.
   * @throws RangeError for an invalid tenant or key; UpstashError when Redis fails.
   */
  async evict(tenant: string, key: string): Promise<boolean> {
    return Number(await this.redis.del(this.keys(tenant).entry(key))) > 0;
  }

  /**
   * Counts one outcome for the tenant and the workflow, with its saving, in one script (stats.ts says what counts).
   * Per-run figures are kept in the run's own state, not here.
   * @throws RangeError for an invalid tenant or workflow name, a `hit`/`shared` without a saving, a `miss` with one,
   *   or a saving that is not integers >= 0; UpstashError when Redis fails.
   */
  async record(tenant: string, rec: CacheRecord): Promise<void> {
    if (!WORKFLOW_NAME_RE.test(rec.workflow)) throw new RangeError(`Invalid workflow name "${rec.workflow}"`);
    if (rec.outcome === "miss" ? rec.saving !== undefined : rec.saving === undefined) {
      throw new RangeError(`A ${rec.outcome} ${rec.outcome === "miss" ? "saves nothing" : "needs its saving"}`);
    }
    const tokens = count("saved tokens", rec.saving?.tokens ?? 0);
    const micro = count("saved micro-USD", rec.saving?.microUsd ?? 0);
    await this.scripts.exec(
      "record",
      [this.keys(tenant).stats],
      [OUTCOME_FIELDS[rec.outcome], rec.workflow, String(tokens), String(micro), String(this.statsTtlSeconds)],
    );
  }

  /**
   * The tenant's counters (one HGETALL): totals and per workflow, or with `workflow` that workflow's only
   * (stats.ts `statsFromHash`). Zeros (hitRate null) for a tenant or workflow with no outcome recorded.
   * @throws RangeError for an invalid tenant or workflow name; UpstashError when Redis fails.
   */
  async stats(tenant: string, workflow?: string): Promise<CacheStats> {
    if (workflow !== undefined && !WORKFLOW_NAME_RE.test(workflow))
      throw new RangeError(`Invalid workflow name "${workflow}"`);
    const raw = (await this.redis.hgetall(this.keys(tenant).stats)) as unknown;
    return statsFromHash(hashFromReply(raw), workflow);
  }

  private async lockScript(
    tenant: string,
    key: string,
    holderId: string,
    lockMs: number,
    checkEntry: boolean,
  ): Promise<[number, unknown, unknown]> {
    if (!Number.isSafeInteger(lockMs) || lockMs < 1)
      throw new RangeError(`Expected lockMs to be an integer >= 1, got ${lockMs}`);
    const k = this.keys(tenant);
    const r = (await this.scripts.exec(
      "lookupOrLock",
      [k.entry(key), k.lock(key), k.waiters(key)],
      [nonEmpty("holder id", holderId), String(lockMs), String(lockMs + this.waiterGraceMs), checkEntry ? "1" : "0"],
    )) as Reply;
    return [Number(r[0]), r[1], r[2]];
  }

  private retryAfter(pttlMs: number): number {
    const left = Number.isFinite(pttlMs) && pttlMs > 0 ? pttlMs : 0;
    return Math.max(this.retryMinMs, Math.min(left, this.retryCapMs));
  }
}

/**
 * The holder id of a node's lookups and lock: `<runId>:<nodeId>`, stable across the node's redeliveries and
 * retries, and distinct for identical nodes of one run (so they share one call rather than one lock). A map node's
 * child `<map>[i]` (shared/dag/map-refs.ts) is a node id too.
 * @throws RangeError for an empty run id or an invalid node id.
 */
export function holderIdOf(runId: string, nodeId: string): string {
  if (runId === "" || !NODE_ID_RE.test(parseMapChildId(nodeId)?.mapId ?? nodeId))
    throw new RangeError(`Invalid run id or node id: "${runId}", "${nodeId}"`);
  return `${runId}:${nodeId}`;
}

function nonEmpty(what: string, value: string): string {
  if (value === "") throw new RangeError(`Expected a non-empty ${what}`);
  return value;
}

function count(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`Expected ${what} to be an integer >= 0, got ${value}`);
  return value;
}

function toCount(v: unknown): number {
  const n = v == null || v === "" ? 0 : Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** HGETALL's reply as field -> string: the flat `[field, value, …]` array of a raw client, or an object. */
function hashFromReply(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = String(raw[i + 1]);
  } else if (raw && typeof raw === "object") {
    for (const [f, v] of Object.entries(raw as Record<string, unknown>)) out[f] = String(v);
  }
  return out;
}
