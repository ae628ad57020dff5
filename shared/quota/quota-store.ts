/**
 * The quota counters of run starts, in Redis (admit-run.ts): runs per epoch minute, nodes per UTC day and the set of
 * live runs, all of one tenant under the hash tag `{quota:<tenant>}`. A start is admitted or refused in one Lua
 * script (atomic: two starts racing for the last slot cannot both win); a refusal changes nothing.
 *
 * Live runs are not decremented when a run finishes (that happens inside the run's own Lua script, in another hash
 * slot): when the live set is full, the runs in it are checked (one pipelined HGET of each run's status) and those
 * finished or gone are removed, then the admission is tried once more. So the count is exact at the moment it
 * matters, a crash between a run's end and any bookkeeping cannot leak a slot, and a run's node steps pay nothing.
 */
import type { Redis } from "@upstash/redis";
import { runKeys } from "../state/keys.js";
import { LuaScripts } from "../util/lua-scripts.js";
import { ADMIT_RUN_LUA, RELEASE_RUN_LUA } from "./lua/admit-run.js";
import type { TenantQuota } from "./quota-spec.js";

/** The quotas a start can exceed in Redis. */
export type CountedQuota = "runsPerMinute" | "concurrentRuns" | "nodesPerDay";

/** ms in one rate window (a fixed epoch minute). */
export const RATE_WINDOW_MS = 60_000;
/** ms in one UTC day. */
export const DAY_MS = 86_400_000;
/**
 * Seconds a client is told to wait when its concurrent runs are at the limit (ours: nothing tells when a run ends;
 * short enough to notice a finished run soon, long enough not to spin).
 */
export const CONCURRENCY_RETRY_AFTER_SECONDS = 5;
/**
 * A live entry whose run has no state yet is kept this long (ms) after its admission: the start is between its
 * admission and its run's creation. After it, a missing run counts as gone (its start crashed).
 */
export const UNBORN_GRACE_MS = 60_000;

/** What {@link QuotaStore.release} needs to undo an admission (the window keys it counted in). */
export interface QuotaTicket {
  keys: [string, string, string];
  runId: string;
  nodeCount: number;
  countedRate: boolean;
  countedNodes: boolean;
}

/** Answer of {@link QuotaStore.admit}: admitted (`ticket` null when nothing was counted), or the quota refused. */
export type Admission =
  | { ok: true; ticket: QuotaTicket | null }
  | { ok: false; quota: CountedQuota; limit: number; retryAfterSeconds: number };

/** The slice of the Upstash Redis client the store uses (created with `automaticDeserialization: false`). */
export type QuotaRedis = Pick<Redis, "createScript" | "pipeline">;

/** Per-tenant run-start quotas in Redis (see the module header). */
export class QuotaStore {
  private readonly scripts: LuaScripts<"admit" | "release">;

  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   * @param liveTtlSeconds longest a run stays live (the active run TTL): an older live entry is dropped.
   */
  constructor(
    private readonly redis: QuotaRedis,
    private readonly prefix: string,
    private readonly liveTtlSeconds: number,
  ) {
    this.scripts = new LuaScripts(redis, { admit: ADMIT_RUN_LUA, release: RELEASE_RUN_LUA });
  }

  /** Keys of `tenant` at `now` (ms): this minute's run counter, this UTC day's node counter, the live set. */
  keys(tenant: string, now: number): [string, string, string] {
    const base = `${this.prefix}:{quota:${tenant}}`;
    return [
      `${base}:rpm:${Math.floor(now / RATE_WINDOW_MS)}`,
      `${base}:nodes:${Math.floor(now / DAY_MS)}`,
      `${base}:live`,
    ];
  }

  /**
   * Admits the start of run `runId` with `nodeCount` nodes for `tenant` under `quota` at `now` (ms), or refuses it
   * naming the first quota it exceeds (checked in the order runs per minute, nodes per day, concurrent runs).
   * One script call, two more (a pipelined status read and a second try) only when the live set is full.
   * @throws UpstashError when Redis fails.
   */
  async admit(tenant: string, quota: TenantQuota, runId: string, nodeCount: number, now: number): Promise<Admission> {
    const keys = this.keys(tenant, now);
    const limits = [quota.runsPerMinute ?? -1, quota.concurrentRuns ?? -1, quota.nodesPerDay ?? -1];
    let stale: string[] = [];
    for (let round = 0; round < 2; round++) {
      const reply = await this.scripts.exec("admit", keys, [
        runId,
        now,
        nodeCount,
        ...limits,
        this.liveTtlSeconds,
        ...stale,
      ]);
      if (Number(reply[0]) === 1) {
        if (reply[1] === "repeat") return { ok: true, ticket: null };
        return {
          ok: true,
          ticket: {
            keys,
            runId,
            nodeCount,
            countedRate: quota.runsPerMinute !== undefined,
            countedNodes: quota.nodesPerDay !== undefined,
          },
        };
      }
      const name = String(reply[1]) as CountedQuota;
      if (name === "concurrentRuns" && round === 0) {
        stale = await this.finished(reply.slice(2), now);
        if (stale.length > 0) continue;
      }
      return { ok: false, quota: name, limit: quota[name] as number, retryAfterSeconds: retryAfter(name, now) };
    }
    throw new Error("unreachable");
  }

  /**
   * Undoes an admission whose run was not created (idempotent repeat of a finished run, or roots refused by the
   * queue): decrements what it counted (never below zero) and removes the live entry.
   * @throws UpstashError when Redis fails.
   */
  async release(ticket: QuotaTicket): Promise<void> {
    await this.scripts.exec("release", ticket.keys, [
      ticket.runId,
      ticket.nodeCount,
      ticket.countedRate ? 1 : 0,
      ticket.countedNodes ? 1 : 0,
    ]);
  }

  /** Of the live entries `[runId, score, …]`, those whose run is no longer `running` (or gone past the grace). */
  private async finished(pairs: LuaReplyItems, now: number): Promise<string[]> {
    const entries: { runId: string; at: number }[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) entries.push({ runId: String(pairs[i]), at: Number(pairs[i + 1]) });
    if (entries.length === 0) return [];
    const p = this.redis.pipeline();
    for (const e of entries) p.hget(runKeys(this.prefix, e.runId).meta, "status");
    const statuses = (await p.exec()) as unknown[];
    return entries
      .filter((e, i) => {
        const status = statuses[i];
        if (status === null || status === undefined || status === "") return now - e.at > UNBORN_GRACE_MS;
        return status !== "running";
      })
      .map((e) => e.runId);
  }
}

type LuaReplyItems = readonly (string | number | null)[];

/** Seconds until the quota can next admit: the rate window's end, the next UTC midnight, or a short wait. */
function retryAfter(quota: CountedQuota, now: number): number {
  if (quota === "concurrentRuns") return CONCURRENCY_RETRY_AFTER_SECONDS;
  const window = quota === "runsPerMinute" ? RATE_WINDOW_MS : DAY_MS;
  return Math.max(1, Math.ceil(((Math.floor(now / window) + 1) * window - now) / 1000));
}
